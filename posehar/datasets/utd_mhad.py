"""UTD-MHAD skeletons, ``a<action>_s<subject>_t<trial>_skeleton.mat`` (MAT v5, scipy.io.loadmat).

One variable, ``d_skel`` (20, 3, T): joints x (x, y, z) x frames, metres in Kinect v1 camera
space, in UTD-MHAD's own head-first joint order (``Skeleton_joint_order.txt``: head,
shoulder_center, spine, hip_center, then left arm, right arm, left leg, right leg), not the
Kinect SDK order. About 30 fps; 27 actions, 8 subjects, 4 trials.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import DatasetLayoutError
from ..skeleton import SkeletonClip
from .base import ActionDataset, Sample
from .skeleton_io import finite_array, find_files, load_mat

UTD_JOINTS: tuple[str, ...] = (
    "head", "shoulder_center", "spine", "hip_center", "shoulder_L", "elbow_L", "wrist_L", "hand_L",
    "shoulder_R", "elbow_R", "wrist_R", "hand_R", "hip_L", "knee_L", "ankle_L", "foot_L",
    "hip_R", "knee_R", "ankle_R", "foot_R",
)
UTD_ACTIONS: tuple[str, ...] = (
    "right arm swipe to the left", "right arm swipe to the right", "right hand wave", "two hand front clap",
    "right arm throw", "cross arms in the chest", "basketball shoot", "right hand draw x",
    "right hand draw circle (clockwise)", "right hand draw circle (counter clockwise)", "draw triangle",
    "bowling (right hand)", "front boxing", "baseball swing from right", "tennis right hand forehand swing",
    "arm curl (two arms)", "tennis serve", "two hand push", "right hand knock on door",
    "right hand catch an object", "right hand pick up and throw", "jogging in place", "walking in place",
    "sit to stand", "stand to sit", "forward lunge (left foot forward)", "squat (two arms stretch out)",
)
UTD_FPS = 30.0
_NAME = re.compile(r"^a(\d+)_s(\d+)_t(\d+)_skeleton\.mat$", re.IGNORECASE)


def parse_utd_name(name: str) -> tuple[int, int, int]:
    """(action 1-27, subject, trial) from ``a<A>_s<S>_t<T>_skeleton.mat``."""
    match = _NAME.match(name)
    if not match:
        raise DatasetLayoutError(f"UTD-MHAD file name {name!r} does not follow a<action>_s<subject>_t<trial>_skeleton.mat")
    action, subject, trial = (int(g) for g in match.groups())
    if not 1 <= action <= len(UTD_ACTIONS):
        raise DatasetLayoutError(f"UTD-MHAD file name {name!r}: action {action} is not 1-{len(UTD_ACTIONS)}")
    return action, subject, trial


def read_utd_skeleton(path: str | os.PathLike) -> SkeletonClip:
    """One UTD-MHAD clip: joints (T, 20, 3) metres, head-first order; label and subject ``sN``
    from the file name (a file not named like the dataset's gets label None)."""
    path = Path(path)
    skel = finite_array(load_mat(path, ("d_skel",))["d_skel"], f"{path}: d_skel")
    if skel.ndim != 3 or skel.shape[:2] != (len(UTD_JOINTS), 3) or skel.shape[2] < 1:
        raise DatasetLayoutError(f"{path}: d_skel must be (20 joints, 3, frames), got shape {skel.shape}")
    try:
        action, subject, trial = parse_utd_name(path.name)
    except DatasetLayoutError:
        label, subject_id, meta = None, "", {}
    else:
        label, subject_id, meta = UTD_ACTIONS[action - 1], f"s{subject}", {"action": action, "trial": trial}
    return SkeletonClip(joints=np.transpose(skel, (2, 0, 1)), joint_names=UTD_JOINTS, fps=UTD_FPS, label=label,
                        subject=subject_id, source=str(path), meta=meta)


class UTDMHAD(ActionDataset):
    """UTD-MHAD skeletons: a folder (searched recursively) of ``a*_s*_t*_skeleton.mat``.

    Samples: kind ``utd_mat``, group ``sN``, label the action name (:data:`UTD_ACTIONS`).
    Protocol: odd subjects (1, 3, 5, 7) train, even subjects test; ``train=None`` keeps all.
    """

    name = "utd_mhad"

    def __init__(self, root: str | os.PathLike, train: bool | None = True) -> None:
        samples = []
        for path in find_files(root, _NAME, "UTD-MHAD"):
            action, subject, _ = parse_utd_name(path.name)
            if train is None or (subject % 2 == 1) == train:
                samples.append(Sample(path, UTD_ACTIONS[action - 1], f"s{subject}", "utd_mat"))
        super().__init__(UTD_ACTIONS, samples)
