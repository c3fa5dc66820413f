"""HMDB51 with its three official 70/30 splits."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import DatasetLayoutError
from .base import (
    SHIPPED_SPLITS, ActionDataset, Sample, check_split, choose_split_dir, existing_dir,
    missing_error, preview, read_text, subdirs,
)

SPLIT_FOLDER = "testTrainMulti_7030_splits"
_SPLIT_FILE = re.compile(r"^(?P<action>.+)_test_split(?P<split>[123])\.txt$")
# <source>_<action>_<body part>_<camera motion>_<people>_<viewpoint>_<quality>_<n>
_META = re.compile(r"_[a-z]+_[a-z]+_np\d+_[a-z]+_[a-z]+_\d+$")


def parse_split_file(text: str) -> list[tuple[str, int]]:
    """``<video>.avi <0|1|2>`` lines (1 train, 2 test, 0 unused) -> (file name, code)."""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in ("0", "1", "2") or "/" in parts[0] or "\\" in parts[0]:
            raise DatasetLayoutError(f"HMDB51 split line {n}: expected '<video>.avi <0|1|2>', got {line!r}")
        rows.append((parts[0], int(parts[1])))
    return rows


def source_name(stem: str, action: str) -> str:
    """The movie/source a clip was cut from, e.g. ``April_09`` for
    ``April_09_brush_hair_u_nm_np1_ba_goo_0``; the stem itself when not derivable."""
    head = _META.sub("", stem)
    suffix = f"_{action}"
    return head[: -len(suffix)] if head != stem and head.endswith(suffix) and len(head) > len(suffix) else stem


class HMDB51(ActionDataset):
    """HMDB51: 6,766 movie and web clips of 51 actions.

    Layout: ``root/<action>/<video>.avi`` and the official split files
    ``<action>_test_split<N>.txt`` (``<video>.avi <0|1|2>``: 1 train, 2 test, 0 unused; 70
    train and 30 test clips per class). ``split_dir`` defaults to
    ``root/testTrainMulti_7030_splits``, then the copy shipped with posehar. Protocol:
    splits 1-3, mean accuracy over the three. ``group`` is the source movie parsed from the
    file name (clips cut from one movie share actors), else the file stem.
    """

    name = "hmdb51"

    def __init__(
        self, root: str | os.PathLike, split: int = 1, train: bool = True,
        split_dir: str | os.PathLike | None = None,
    ) -> None:
        split = check_split(split)
        root = existing_dir(root, "HMDB51")
        lists = choose_split_dir(
            split_dir, [root / SPLIT_FOLDER, root.parent / SPLIT_FOLDER, SHIPPED_SPLITS / "hmdb51"],
            f"brush_hair_test_split{split}.txt", "HMDB51",
        )
        split_files = {
            m.group("action"): lists / name
            for name in sorted(os.listdir(lists))
            if (m := _SPLIT_FILE.match(name)) and int(m.group("split")) == split
        }
        classes = sorted(split_files)
        folders = set(subdirs(root))
        if not folders & set(classes):
            raise DatasetLayoutError(
                f"HMDB51 root {root} has no class folders like {classes[0]}/; found: {preview(sorted(folders))}"
            )
        wanted = 1 if train else 2
        samples, missing = [], []
        for action in classes:
            folder = root / action
            on_disk = set(os.listdir(folder)) if folder.is_dir() else set()
            for name, code in parse_split_file(read_text(split_files[action])):
                if code != wanted:
                    continue
                if name in on_disk:
                    samples.append(Sample(folder / name, action, source_name(Path(name).stem, action), "video"))
                else:
                    missing.append(f"{action}/{name}")
        if missing:
            raise missing_error("HMDB51", f"the split-{split} files in {lists}", missing, root)
        super().__init__(classes, samples)
