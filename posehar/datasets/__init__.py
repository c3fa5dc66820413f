"""Dataset loaders: each indexes a dataset's files into labelled, grouped samples.

``get_dataset("ucf101", root, split=1, train=True)`` or the classes directly. Loaders never
decode video; a sample's ``kind`` says how to read its ``source``.
"""

from __future__ import annotations

import os

from ..errors import DatasetLayoutError
from .base import ActionDataset, Sample
from .custom import CustomFolder, KeypointFolder
from .g3d import G3D, read_g3d_skeleton_folder
from .hmdb51 import HMDB51
from .kth import KTH
from .ucf11 import UCF11
from .ucf101 import UCF101

DATASETS: dict[str, type[ActionDataset]] = {
    "ucf101": UCF101, "ucf11": UCF11, "g3d": G3D, "hmdb51": HMDB51, "kth": KTH, "custom": CustomFolder,
}


def get_dataset(name: str, root: str | os.PathLike, **kwargs: object) -> ActionDataset:
    """The dataset registered as ``name`` (case-insensitive) loaded from ``root``."""
    try:
        cls = DATASETS[name.lower()]
    except (KeyError, AttributeError):
        raise DatasetLayoutError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}") from None
    return cls(root, **kwargs)


__all__ = [
    "DATASETS", "ActionDataset", "CustomFolder", "G3D", "HMDB51", "KTH", "KeypointFolder", "Sample",
    "UCF11", "UCF101", "get_dataset", "read_g3d_skeleton_folder",
]
