"""What every dataset loader returns: a list of :class:`Sample` plus the class names.

Loaders only index files (they never decode video), so building one is cheap. Helpers here
are shared by the loaders: root checks, split-file reading and error messages that say
what was expected and what was found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import DatasetLayoutError

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".mpg", ".webm")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
SHIPPED_SPLITS = Path(__file__).resolve().parent / "splits"


@dataclass(frozen=True)
class Sample:
    """One clip: where it is, its class, and the person/group it comes from."""

    source: Path
    label: str
    group: str
    kind: str
    index: int | None = None


class ActionDataset:
    """A labelled list of samples, in the spirit of ``torchvision.datasets.UCF101``.

    ``classes`` is the official or sorted class order; ``targets[i]`` is the index of
    ``samples[i].label`` in it; ``groups[i]`` its person/group id (for cross-person splits).
    """

    name: str = ""

    def __init__(self, classes: Sequence[str], samples: Iterable[Sample]) -> None:
        self.classes = list(classes)
        self.samples = list(samples)
        self._class_index = {c: i for i, c in enumerate(self.classes)}
        unknown = sorted({s.label for s in self.samples} - set(self._class_index))
        if unknown:
            raise DatasetLayoutError(
                f"{type(self).__name__}: labels {preview(unknown)} are not among the classes "
                f"{preview(self.classes)}"
            )

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Sample:
        return self.samples[i]

    @property
    def targets(self) -> list[int]:
        """Class index of each sample."""
        return [self._class_index[s.label] for s in self.samples]

    @property
    def groups(self) -> list[str]:
        """Person/group id of each sample."""
        return [s.group for s in self.samples]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.samples)} samples, {len(self.classes)} classes)"


def preview(items: Sequence[object], n: int = 5) -> str:
    """``"a, b, c"`` or ``"a, b, c, d, e (+12 more)"``; ``"nothing"`` when empty."""
    if not items:
        return "nothing"
    shown = ", ".join(str(x) for x in list(items)[:n])
    return shown if len(items) <= n else f"{shown} (+{len(items) - n} more)"


def existing_dir(root: str | os.PathLike, what: str) -> Path:
    """``root`` as a Path, or DatasetLayoutError if it is not an existing folder."""
    path = Path(root).expanduser()
    if not path.exists():
        raise DatasetLayoutError(f"{what} root {path} does not exist")
    if not path.is_dir():
        raise DatasetLayoutError(f"{what} root {path} is not a folder")
    return path


def _entry_is(entry: os.DirEntry, kind: str) -> bool | None:
    """``entry.is_dir()`` / ``is_file()``, or None where it cannot be told (a symlink loop, no permission)."""
    try:
        return entry.is_dir() if kind == "dir" else entry.is_file()
    except OSError:
        return None


def subdirs(path: Path) -> list[str]:
    """Names of the non-hidden sub-folders of ``path``, sorted (an entry that cannot be stat'ed is none)."""
    return sorted(e.name for e in os.scandir(path) if not e.name.startswith(".") and _entry_is(e, "dir"))


def files_with(path: Path, extensions: Sequence[str]) -> list[Path]:
    """Non-hidden files directly in ``path`` whose suffix (any case) is in ``extensions``.

    An entry with such a suffix that cannot be stat'ed (a symlink loop, say) is listed too, so that
    it fails on its own when read instead of stopping the listing of everything else.
    """
    return sorted(
        Path(e.path) for e in os.scandir(path)
        if not e.name.startswith(".") and Path(e.name).suffix.lower() in extensions and _entry_is(e, "file") is not False
    )


def decode_text(data: bytes, where: str) -> str:
    """Split files are ASCII in practice; accept UTF-8 (with or without BOM)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetLayoutError(f"{where} is not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None


def read_text(path: Path) -> str:
    """Text of a split file, or DatasetLayoutError naming it."""
    if not path.is_file():
        raise DatasetLayoutError(f"split file {path} does not exist")
    return decode_text(path.read_bytes(), str(path))


def check_split(split: int) -> int:
    """Official UCF101/HMDB51 split number (1, 2 or 3)."""
    if isinstance(split, bool) or split not in (1, 2, 3):
        raise DatasetLayoutError(f"split must be 1, 2 or 3, got {split!r}")
    return int(split)


def choose_split_dir(
    given: str | os.PathLike | None, candidates: Sequence[Path], marker: str, what: str
) -> Path:
    """``given`` (which must hold ``marker``) or the first candidate that holds it."""
    if given is not None:
        path = Path(given).expanduser()
        if not (path / marker).is_file():
            found = preview(sorted(p.name for p in path.iterdir())) if path.is_dir() else "no such folder"
            raise DatasetLayoutError(f"{what} split folder {path} has no {marker}; found: {found}")
        return path
    for path in candidates:
        if (path / marker).is_file():
            return path
    raise DatasetLayoutError(
        f"no {what} split files: looked for {marker} in {preview([str(c) for c in candidates])}"
    )


def missing_error(what: str, named_in: str, missing: Sequence[str], root: Path) -> DatasetLayoutError:
    """Error for split lines naming files that are not under ``root``."""
    return DatasetLayoutError(
        f"{what}: {len(missing)} file(s) named in {named_in} are not under {root}, e.g. {preview(missing, 3)}"
    )
