"""Your own data: class folders of videos or frame folders, or folders of keypoint files."""

from __future__ import annotations

import csv
import io
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import NPZ_READ_ERRORS, DatasetLayoutError
from ..sequence import KeypointSequence, batch_subject, load_batch
from .base import (
    IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, ActionDataset, Sample, decode_text, existing_dir,
    files_with, preview, subdirs,
)


def parse_groups_csv(text: str) -> dict[str, str]:
    """``relative_path,group`` rows (optional header) -> {posix relative path: group}."""
    groups: dict[str, str] = {}
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DatasetLayoutError(f"groups file is not valid CSV ({exc})") from None
    for n, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        if not any(cells) or (n == 1 and cells == ["relative_path", "group"]):
            continue
        if len(cells) != 2 or not all(cells):
            raise DatasetLayoutError(f"groups file row {n}: expected 'relative_path,group', got {row!r}")
        path = cells[0].replace("\\", "/").strip("/")
        if path in groups:
            raise DatasetLayoutError(f"groups file row {n}: {path!r} is listed twice")
        groups[path] = cells[1]
    return groups


class CustomFolder(ActionDataset):
    """One folder per class: ``root/<class>/<clip>.mp4`` (also .avi .mov .mkv .mpg .webm) or
    ``root/<class>/<clip>/`` frame folders (.png .jpg .jpeg .bmp images, in name order).

    Classes are the sorted class-folder names. Without ``groups_file`` every clip is its
    own group (its file or folder name), so nothing prevents one person's clips landing in
    both train and test: give a CSV of ``relative_path,group`` rows (e.g.
    ``wave/clip01.mp4,alice``) listing every clip to split by person.
    """

    name = "custom"

    def __init__(self, root: str | os.PathLike, groups_file: str | os.PathLike | None = None) -> None:
        root = existing_dir(root, "custom dataset")
        classes = subdirs(root)
        if not classes:
            raise DatasetLayoutError(
                f"custom dataset root {root} has no class folders; found: {preview(sorted(os.listdir(root)))}"
            )
        clips: list[tuple[Path, str, str]] = []
        for label in classes:
            folder = root / label
            found = [(p, "video") for p in files_with(folder, VIDEO_EXTENSIONS)]
            found += [(folder / d, "frames") for d in subdirs(folder) if files_with(folder / d, IMAGE_EXTENSIONS)]
            if not found:
                raise DatasetLayoutError(
                    f"class folder {folder} holds no videos ({' '.join(VIDEO_EXTENSIONS)}) or frame folders"
                )
            clips += [(path, label, kind) for path, kind in sorted(found)]
        groups = _read_groups(groups_file, root, clips) if groups_file is not None else {}
        samples = []
        for path, label, kind in clips:
            own = path.stem if kind == "video" else path.name
            samples.append(Sample(path, label, groups.get(path.relative_to(root).as_posix(), own), kind))
        super().__init__(classes, samples)


def _read_groups(groups_file: str | os.PathLike, root: Path, clips: list[tuple[Path, str, str]]) -> dict[str, str]:
    """The groups CSV, checked to list exactly the clips found under ``root``."""
    path = Path(groups_file).expanduser()
    if not path.is_file():
        raise DatasetLayoutError(f"groups file {path} does not exist")
    groups = parse_groups_csv(decode_text(path.read_bytes(), str(path)))
    present = {p.relative_to(root).as_posix() for p, _, _ in clips}
    unlisted = sorted(present - set(groups))
    unknown = sorted(set(groups) - present)
    if unlisted:
        raise DatasetLayoutError(
            f"groups file {path} does not list {len(unlisted)} clip(s), e.g. {preview(unlisted, 3)}"
        )
    if unknown:
        raise DatasetLayoutError(
            f"groups file {path} lists {len(unknown)} path(s) that are not clips under {root}, "
            f"e.g. {preview(unknown, 3)}"
        )
    return groups


class KeypointFolder(ActionDataset):
    """A folder of batch keypoint files, one per person, as ``shared/data/keypoints/mp_gestures``.

    Each ``<person>.npz`` holds ``pose`` (N, T, J, C) and ``labels`` (N,); an optional
    ``<person>.json`` beside it names the ``subject`` (the group; else the file stem).
    Samples have kind ``"keypoints"`` and ``index`` = row in the file; only the labels are
    read here, :meth:`sequence` loads a sample's keypoints on demand.
    """

    name = "keypoints"

    def __init__(self, root: str | os.PathLike) -> None:
        root = existing_dir(root, "keypoint folder")
        files = sorted(p for p in root.glob("*.npz") if not p.name.startswith("."))
        if not files:
            raise DatasetLayoutError(
                f"keypoint folder {root} holds no .npz files; found: {preview(sorted(os.listdir(root)))}"
            )
        samples = []
        for path in files:
            group = batch_subject(path)
            samples += [Sample(path, str(label), group, "keypoints", i) for i, label in enumerate(_labels(path))]
        super().__init__(sorted({s.label for s in samples}), samples)

    def sequence(self, i: int) -> KeypointSequence:
        """The keypoints of sample ``i`` (its batch file is read once and cached)."""
        sample = self.samples[i]
        return _load_batch_cached(sample.source)[sample.index]


@lru_cache(maxsize=4)
def _load_batch_cached(path: Path) -> list[KeypointSequence]:
    return load_batch(path)


def _labels(path: Path) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as data:
            names = sorted(data.files)
            labels = data["labels"] if "labels" in names else None
    except NPZ_READ_ERRORS as exc:
        raise DatasetLayoutError(f"{path} is not a readable keypoint .npz file ({exc})") from None
    if labels is None:
        raise DatasetLayoutError(f"{path} has no 'labels' array; found: {preview(names)}")
    if labels.ndim != 1:
        raise DatasetLayoutError(f"{path}: 'labels' must be one-dimensional, got shape {labels.shape}")
    return labels


