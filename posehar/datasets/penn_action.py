"""Penn Action per-clip annotations, ``labels/NNNN.mat`` (MAT v5, read with scipy.io.loadmat).

Variables: ``x``, ``y`` (T, 13) pixels, ``visibility`` (T, 13) 0/1, ``bbox`` (T, 4)
[xmin ymin xmax ymax], ``action`` (str), ``pose`` (view: front/back/left/right), ``train``
(+1 train / -1 test), ``dimensions`` [H W T], ``nframes``. Joints: head, shoulders, elbows,
wrists, hips, knees, ankles (left before right). Image coordinates, y down.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import DatasetLayoutError
from ..skeleton import SkeletonClip
from .base import ActionDataset, Sample
from .skeleton_io import finite_array, find_files, load_mat, mat_int, mat_string

PENN_JOINTS: tuple[str, ...] = (
    "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
PENN_ACTIONS: tuple[str, ...] = (
    "baseball_pitch", "baseball_swing", "bench_press", "bowl", "clean_and_jerk", "golf_swing", "jump_rope",
    "jumping_jacks", "pullup", "pushup", "situp", "squat", "strum_guitar", "tennis_forehand", "tennis_serve",
)
PENN_VARIABLES = ("x", "y", "visibility", "bbox", "action", "pose", "train", "dimensions", "nframes")
_CLIP = re.compile(r"^\d{4}\.mat$", re.IGNORECASE)


def read_penn_mat(path: str | os.PathLike) -> SkeletonClip:
    """One Penn Action clip: joints (T, 13, 3) = x, y (pixels) and visibility (0/1).

    ``present`` is True where any joint is visible (1516.mat: no frame is). label = ``action``,
    subject = the clip id (Penn Action has no person ids), frame_size (W, H) from
    ``dimensions``. meta: ``view`` (the ``pose`` variable), ``split`` ("train"/"test"),
    ``bbox`` as stored (some clips have one row fewer than frames: 1154.mat, 1865.mat).
    """
    path = Path(path)
    where = str(path)
    mat = load_mat(path, PENN_VARIABLES)
    x = finite_array(mat["x"], f"{where}: x")
    y = finite_array(mat["y"], f"{where}: y")
    vis = finite_array(mat["visibility"], f"{where}: visibility")
    if x.ndim != 2 or x.shape[1] != len(PENN_JOINTS):
        raise DatasetLayoutError(f"{where}: x must be (frames, {len(PENN_JOINTS)}), got shape {x.shape}")
    if y.shape != x.shape or vis.shape != x.shape:
        raise DatasetLayoutError(f"{where}: x, y and visibility must have one shape, got {x.shape}, {y.shape}, {vis.shape}")
    if not np.isin(vis, (0, 1)).all():
        raise DatasetLayoutError(f"{where}: visibility holds values other than 0 and 1")
    frames = x.shape[0]
    nframes = mat_int(mat["nframes"], where, "nframes")
    dims = np.asarray(mat["dimensions"]).ravel()
    if dims.size != 3:
        raise DatasetLayoutError(f"{where}: dimensions must be [height width frames], got {dims.tolist()}")
    if nframes != frames:
        raise DatasetLayoutError(f"{where}: nframes says {nframes} frames but x has {frames}")
    split_flag = mat_int(mat["train"], where, "train")
    if split_flag not in (1, -1):
        raise DatasetLayoutError(f"{where}: train must be 1 or -1, got {split_flag}")
    bbox = finite_array(mat["bbox"], f"{where}: bbox")
    if bbox.ndim != 2 or bbox.shape[1] != 4:
        raise DatasetLayoutError(f"{where}: bbox must be (frames, 4), got shape {bbox.shape}")
    joints = np.stack([x, y, vis], axis=-1)
    return SkeletonClip(
        joints=joints, joint_names=PENN_JOINTS, label=mat_string(mat["action"], where, "action"), subject=path.stem,
        source=where, frame_size=(int(dims[1]), int(dims[0])), present=vis.any(axis=1),
        meta={"view": mat_string(mat["pose"], where, "pose"), "split": "train" if split_flag == 1 else "test",
              "bbox": bbox.astype(np.float32), "clip": path.stem},
    )


class PennAction(ActionDataset):
    """Penn Action: ``root/labels/NNNN.mat`` (or ``root`` the labels folder itself), 2,326 clips of
    15 actions.

    Samples: kind ``penn_mat``, group = clip id (no person ids exist), label = the file's
    ``action``. Protocol: the official split, each file's ``train`` flag (1,258 train / 1,068
    test); ``train=None`` keeps both. Indexing reads each (small) .mat file for its label and flag.
    """

    name = "penn_action"

    def __init__(self, root: str | os.PathLike, train: bool | None = True) -> None:
        root = Path(root)
        folder = root / "labels" if (root / "labels").is_dir() else root
        samples = []
        for path in find_files(folder, _CLIP, "Penn Action"):
            mat = load_mat(path, ("action", "train"))
            label = mat_string(mat["action"], str(path), "action")
            flag = mat_int(mat["train"], str(path), "train")
            if train is None or (flag == 1) == train:
                samples.append(Sample(path, label, path.stem, "penn_mat"))
        super().__init__(PENN_ACTIONS, samples)
