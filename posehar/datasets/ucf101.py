"""UCF101 with its three official train/test splits."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from ..errors import DatasetLayoutError
from .base import (
    SHIPPED_SPLITS, ActionDataset, Sample, check_split, choose_split_dir, existing_dir,
    missing_error, preview, read_text, subdirs,
)

_CLIP = re.compile(r"^v_[A-Za-z]+_g(\d+)_c(\d+)\.avi$", re.IGNORECASE)


class SplitEntry(NamedTuple):
    """One split-list line: class folder, clip file name, group (``gXX``) and 1-based class index if given."""

    folder: str
    filename: str
    group: str
    class_index: int | None


def parse_class_index(text: str) -> list[str]:
    """``classInd.txt`` (``<1-based index> <ClassName>`` per line) -> names in index order."""
    names: dict[int, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[0].isdigit():
            raise DatasetLayoutError(f"classInd.txt line {n}: expected '<index> <ClassName>', got {line!r}")
        names[int(parts[0])] = parts[1]
    if not names:
        raise DatasetLayoutError("classInd.txt lists no classes")
    if sorted(names) != list(range(1, len(names) + 1)) or len(set(names.values())) != len(names):
        raise DatasetLayoutError(
            f"classInd.txt must number {len(names)} distinct classes 1..{len(names)}; "
            f"got indices {preview(sorted(names))}"
        )
    return [names[i] for i in range(1, len(names) + 1)]


def parse_split_list(text: str) -> list[SplitEntry]:
    """``trainlist0N.txt`` (``Class/v_Class_gXX_cYY.avi <index>``) or ``testlist0N.txt`` lines."""
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        rel = parts[0].replace("\\", "/").split("/")
        index = parts[1] if len(parts) == 2 else None
        match = _CLIP.match(rel[-1])
        if len(parts) > 2 or len(rel) != 2 or not match or (index is not None and not index.isdigit()):
            raise DatasetLayoutError(
                f"split list line {n}: expected 'Class/v_Class_gXX_cYY.avi [class index]', got {line!r}"
            )
        entries.append(SplitEntry(rel[0], rel[1], f"g{int(match.group(1)):02d}",
                                  None if index is None else int(index)))
    return entries


class UCF101(ActionDataset):
    """UCF101: 13,320 YouTube clips of 101 actions, 25 groups (gXX) per action.

    Layout: ``root/UCF-101/<Class>/v_<Class>_gXX_cYY.avi`` (``root`` may also be the
    ``UCF-101`` folder itself) and the official ``ucfTrainTestlist/`` with ``classInd.txt``,
    ``trainlist0N.txt`` and ``testlist0N.txt``. ``split_dir`` defaults to
    ``root/ucfTrainTestlist``, then the copy shipped with posehar. Class folder and file
    names are matched case-insensitively (the official lists spell ``HandstandPushups/``
    but ``v_HandStandPushups_...``). Protocol: splits 1-3 keep each group (same actor and
    background) entirely in train or test; report the mean accuracy over the three.
    """

    name = "ucf101"

    def __init__(
        self, root: str | os.PathLike, split: int = 1, train: bool = True,
        split_dir: str | os.PathLike | None = None,
    ) -> None:
        split = check_split(split)
        root = existing_dir(root, "UCF101")
        videos = root / "UCF-101" if (root / "UCF-101").is_dir() else root
        lists = choose_split_dir(
            split_dir,
            [root / "ucfTrainTestlist", videos.parent / "ucfTrainTestlist", SHIPPED_SPLITS / "ucf101"],
            "classInd.txt", "UCF101",
        )
        classes = parse_class_index(read_text(lists / "classInd.txt"))
        folders = {name.lower(): videos / name for name in subdirs(videos)}
        if not set(folders) & {c.lower() for c in classes}:
            raise DatasetLayoutError(
                f"UCF101 root {root} has no class folders like {classes[0]}/; found: {preview(sorted(folders))}"
            )
        list_file = lists / f"{'train' if train else 'test'}list{split:02d}.txt"
        entries = parse_split_list(read_text(list_file))
        super().__init__(classes, self._match(entries, classes, folders, list_file, videos))

    @staticmethod
    def _match(
        entries: list[SplitEntry], classes: list[str], folders: dict[str, Path], list_file: Path, videos: Path,
    ) -> list[Sample]:
        by_lower = {c.lower(): (i, c) for i, c in enumerate(classes, 1)}
        listings: dict[str, dict[str, Path]] = {}
        samples, missing = [], []
        for e in entries:
            key = e.folder.lower()
            if key not in by_lower:
                raise DatasetLayoutError(f"{list_file.name} names class {e.folder!r}, which is not in classInd.txt")
            index, label = by_lower[key]
            if e.class_index is not None and e.class_index != index:
                raise DatasetLayoutError(
                    f"{list_file.name}: {e.folder}/{e.filename} has class index {e.class_index}, "
                    f"classInd.txt says {index}"
                )
            if key not in listings:
                folder = folders.get(key)
                listings[key] = {p.name.lower(): p for p in folder.iterdir()} if folder else {}
            path = listings[key].get(e.filename.lower())
            if path is None:
                missing.append(f"{e.folder}/{e.filename}")
            else:
                samples.append(Sample(path, label, e.group, "video"))
        if missing:
            raise missing_error("UCF101", str(list_file), missing, videos)
        return samples
