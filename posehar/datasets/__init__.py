"""Dataset loaders: each indexes a dataset's files into labelled, grouped samples.

``get_dataset("ucf101", root, split=1, train=True)`` or the classes directly; posehar's own formats
are ``get_dataset("skeletons", "SET.npz")`` (:class:`SkeletonFile`, whose ``sequence(i)`` gives the
common body) and ``get_dataset("keypoints", folder)`` (:class:`KeypointFolder`, ``sequence(i)``). Loaders never
decode video; a sample's ``kind`` says how to read its ``source``. Skeleton datasets in their
original published formats (``ntu_rgbd``, ``penn_action``, ``msrc12``, ``utd_mhad``, ``nw_ucla``,
``kinder_gator``, G3D ``json_frames``) are read with :func:`read_skeleton_sample`.
"""

from __future__ import annotations

import os

from ..errors import DatasetLayoutError
from .base import ActionDataset, Sample
from .custom import CustomFolder, KeypointFolder
from .g3d import G3D, read_g3d_json_frames, read_g3d_skeleton_folder
from .hmdb51 import HMDB51
from .kinder_gator import KinderGator, read_kinder_gator_csv
from .kth import KTH
from .msrc12 import MSRC12, read_msrc12, read_msrc12_window
from .ntu_rgbd import NTURGBD, ntu_main_body, read_ntu_performer, read_ntu_skeleton
from .nw_ucla import NWUCLA, read_ucla_json
from .penn_action import PennAction, read_penn_mat
from .skeleton_file import SkeletonFile
from .skeletons import SKELETON_READERS, read_skeleton_sample
from .ucf11 import UCF11
from .ucf101 import UCF101
from .utd_mhad import UTDMHAD, read_utd_skeleton

DATASETS: dict[str, type[ActionDataset]] = {
    "ucf101": UCF101, "ucf11": UCF11, "g3d": G3D, "hmdb51": HMDB51, "kth": KTH, "custom": CustomFolder,
    "ntu_rgbd": NTURGBD, "penn_action": PennAction, "msrc12": MSRC12, "utd_mhad": UTDMHAD, "nw_ucla": NWUCLA,
    "kinder_gator": KinderGator,
    # posehar's own formats: a shared-format skeleton set file, a folder of keypoint batch files
    "skeletons": SkeletonFile, "keypoints": KeypointFolder,
}


def get_dataset(name: str, root: str | os.PathLike, **kwargs: object) -> ActionDataset:
    """The dataset registered as ``name`` (case-insensitive) loaded from ``root``."""
    try:
        cls = DATASETS[name.lower()]
    except (KeyError, AttributeError):
        raise DatasetLayoutError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}") from None
    return cls(root, **kwargs)


__all__ = [
    "DATASETS", "ActionDataset", "CustomFolder", "G3D", "HMDB51", "KTH", "KeypointFolder", "Sample", "SkeletonFile",
    "UCF11", "UCF101", "get_dataset", "read_g3d_skeleton_folder",
    "KinderGator", "MSRC12", "NTURGBD", "NWUCLA", "PennAction", "UTDMHAD", "SKELETON_READERS",
    "ntu_main_body", "read_g3d_json_frames", "read_kinder_gator_csv", "read_msrc12", "read_msrc12_window",
    "read_ntu_performer", "read_ntu_skeleton", "read_penn_mat", "read_skeleton_sample", "read_ucla_json",
    "read_utd_skeleton",
]
