"""UCF11 (UCF YouTube Action) with leave-one-group-out or seeded random splits."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import DatasetLayoutError
from .base import ActionDataset, Sample, existing_dir, files_with, preview, subdirs

CLASSES = (
    "basketball", "biking", "diving", "golf_swing", "horse_riding", "soccer_juggling", "swing",
    "tennis_swing", "trampoline_jumping", "volleyball_spiking", "walking",
)
NUM_GROUPS = 25
PROTOCOLS = ("logo", "random")
_CLIP = re.compile(r"^v_.+_(\d{2})_(\d{2})\.(mpg|avi)$", re.IGNORECASE)


class UCF11(ActionDataset):
    """UCF11 / "UCF11_updated_mpg": 1,600 YouTube clips of 11 actions in 25 groups.

    Layout: ``root/<class>/v_<short>_<gg>/v_<short>_<gg>_<cc>.mpg`` (``.xgtf`` annotations
    and ``Annotation/`` folders are ignored), or flattened ``root/<class>/v_<short>_<gg>_<cc>.mpg``;
    ``root`` may also hold ``UCF11_updated_mpg/``. ``group`` is ``gg`` ("01".."25"); clips of
    one group share actor and background.

    Protocols: ``"logo"`` (standard) leave-one-group-out, ``fold`` k in 1..25 tests on
    group k and trains on the other 24; ``"random"`` a per-class random split with
    ``test_size`` and ``seed`` (groups leak across train and test, so accuracy is optimistic).
    """

    name = "ucf11"

    def __init__(
        self, root: str | os.PathLike, fold: int = 1, train: bool = True, protocol: str = "logo",
        test_size: float = 0.3, seed: int = 0,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise DatasetLayoutError(f"UCF11 protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
        if protocol == "logo" and (isinstance(fold, bool) or fold not in range(1, NUM_GROUPS + 1)):
            raise DatasetLayoutError(f"UCF11 fold must be 1..{NUM_GROUPS} (the test group), got {fold!r}")
        if protocol == "random" and not 0 < test_size < 1:
            raise DatasetLayoutError(f"UCF11 test_size must be between 0 and 1, got {test_size!r}")
        root = existing_dir(root, "UCF11")
        if (root / "UCF11_updated_mpg").is_dir():
            root = root / "UCF11_updated_mpg"
        samples = _scan(root)
        if protocol == "logo":
            test_group = f"{fold:02d}"
            keep = [(s.group == test_group) != train for s in samples]
        else:
            keep = _random_mask(samples, test_size, seed, train)
        super().__init__(CLASSES, [s for s, k in zip(samples, keep) if k])


def _scan(root: Path) -> list[Sample]:
    """Every clip under the 11 class folders of ``root``, grouped or flattened."""
    found = subdirs(root)
    missing = [c for c in CLASSES if c not in found]
    if len(missing) == len(CLASSES):
        raise DatasetLayoutError(f"UCF11 root {root} has no class folders like basketball/; found: {preview(found)}")
    if missing:
        raise DatasetLayoutError(f"UCF11 root {root} lacks class folders {preview(missing)}")
    samples, bad = [], []
    for label in CLASSES:
        folder = root / label
        clips = files_with(folder, (".mpg", ".avi"))
        for sub in subdirs(folder):
            clips += files_with(folder / sub, (".mpg", ".avi"))
        for path in clips:
            match = _CLIP.match(path.name)
            if match and 1 <= int(match.group(1)) <= NUM_GROUPS:
                samples.append(Sample(path, label, match.group(1), "video"))
            else:
                bad.append(f"{label}/{path.name}")
        if not clips:
            raise DatasetLayoutError(f"UCF11 class folder {folder} holds no v_<short>_<gg>_<cc>.mpg clips")
    if bad:
        raise DatasetLayoutError(
            f"UCF11: {len(bad)} clip(s) not named v_<short>_<gg>_<cc>.mpg with gg in 01..25, e.g. {preview(bad, 3)}"
        )
    return samples


def _random_mask(samples: list[Sample], test_size: float, seed: int, train: bool) -> list[bool]:
    """Per-class seeded split: round(test_size * n) clips of each class go to test."""
    rng = np.random.default_rng(seed)
    is_test = [False] * len(samples)
    for label in CLASSES:
        idx = [i for i, s in enumerate(samples) if s.label == label]
        for i in rng.permutation(idx)[: round(test_size * len(idx))]:
            is_test[int(i)] = True
    return [t != train for t in is_test]
