"""Northwestern-UCLA Multiview Action3D skeletons in CTR-GCN's ``all_sqe`` json form.

One json object per file ``a<AA>_s<SS>_e<EE>_v<VV>.json``: ``{"file_name": "aAA_sSS_eEE_vVV",
"skeletons": [[[x, y, z] x 20] x T], "label": L}``; metres, Kinect v1 camera space, Kinect SDK
joint order. ``label`` is 1-10 for actions a01-a06, a08, a09, a11, a12 (a07 and a10 do not
exist). Three Kinects (views v01-v03) film every take; fps is not stored.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..errors import DatasetLayoutError
from ..layouts import KINECT_V1_JOINTS
from ..skeleton import SkeletonClip
from .base import ActionDataset, Sample
from .skeleton_io import finite_array, find_files, read_bytes

UCLA_ACTION_IDS = (1, 2, 3, 4, 5, 6, 8, 9, 11, 12)
UCLA_ACTIONS: tuple[str, ...] = (
    "pick up with one hand", "pick up with two hands", "drop trash", "walk around", "sit down", "stand up",
    "donning", "doffing", "throw", "carry",
)
_NAME = re.compile(r"^a(\d{2})_s(\d{2})_e(\d{2})_v(\d{2})$", re.IGNORECASE)


def parse_ucla_name(stem: str) -> dict[str, int]:
    """{action, subject, take, view} from ``aAA_sSS_eEE_vVV``."""
    match = _NAME.match(stem)
    if not match:
        raise DatasetLayoutError(f"NW-UCLA file name {stem!r} does not follow aAA_sSS_eEE_vVV")
    action, subject, take, view = (int(g) for g in match.groups())
    if action not in UCLA_ACTION_IDS:
        raise DatasetLayoutError(f"NW-UCLA file name {stem!r}: action a{action:02d} is not one of the 10 actions")
    return {"action": action, "subject": subject, "take": take, "view": view}


def read_ucla_json(path: str | os.PathLike) -> SkeletonClip:
    """One NW-UCLA clip: joints (T, 20, 3) metres (T may be 1); label the action name, subject
    ``sSS``; meta ``view`` (1-3), ``take``, ``action``. The json ``label`` must agree with the
    action in ``file_name``, and a file named ``aAA_sSS_eEE_vVV`` must hold that ``file_name``."""
    path = Path(path)
    try:
        doc = json.loads(read_bytes(path, "NW-UCLA json"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetLayoutError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not {"file_name", "skeletons", "label"} <= set(doc):
        found = sorted(doc) if isinstance(doc, dict) else type(doc).__name__
        raise DatasetLayoutError(f"{path}: expected an object with file_name, skeletons and label; found {found}")
    info = parse_ucla_name(str(doc["file_name"]))
    if _NAME.match(path.stem) and path.stem.lower() != str(doc["file_name"]).lower():
        raise DatasetLayoutError(f"{path}: the file is named {path.stem} but holds {doc['file_name']} "
                                 "(renamed? NW-UCLA's label, person and view are read from the name)")
    label = doc["label"]
    if isinstance(label, bool) or not isinstance(label, int) or UCLA_ACTION_IDS[label - 1:label] != (info["action"],):
        raise DatasetLayoutError(f"{path}: label {label!r} does not match action a{info['action']:02d} of its file_name")
    try:
        joints = finite_array(doc["skeletons"], f"{path}: skeletons")
    except DatasetLayoutError:
        raise DatasetLayoutError(f"{path}: skeletons is not a T x 20 x 3 array of numbers") from None
    if joints.ndim != 3 or joints.shape[1:] != (len(KINECT_V1_JOINTS), 3) or not len(joints):
        raise DatasetLayoutError(f"{path}: skeletons must be frames x 20 joints x 3, got shape {joints.shape}")
    return SkeletonClip(
        joints=joints, joint_names=KINECT_V1_JOINTS, label=UCLA_ACTIONS[label - 1], subject=f"s{info['subject']:02d}",
        source=str(path), meta={**info, "file_name": str(doc["file_name"])},
    )


class NWUCLA(ActionDataset):
    """NW-UCLA: a folder (searched recursively, e.g. ``all_sqe/``) of ``aAA_sSS_eEE_vVV.json``.

    Samples: kind ``ucla_json``, group ``sSS``, label from the file name's action. Protocol:
    cross-view, ``train_views`` (default 1, 2) train and ``test_views`` (default 3) test;
    ``train=None`` keeps every view. Indexing reads file names only.
    """

    name = "nw_ucla"

    def __init__(self, root: str | os.PathLike, train: bool | None = True,
                 train_views: tuple[int, ...] = (1, 2), test_views: tuple[int, ...] = (3,)) -> None:
        if set(train_views) & set(test_views) or not set(train_views) | set(test_views) <= {1, 2, 3}:
            raise DatasetLayoutError(f"NW-UCLA views are 1-3 and train/test must not share one; got "
                                     f"{train_views} and {test_views}")
        views = None if train is None else set(train_views if train else test_views)
        samples = []
        for path in find_files(root, re.compile(r"\.json$", re.IGNORECASE), "NW-UCLA"):
            info = parse_ucla_name(path.stem)
            if views is None or info["view"] in views:
                label = UCLA_ACTIONS[UCLA_ACTION_IDS.index(info["action"])]
                samples.append(Sample(path, label, f"s{info['subject']:02d}", "ucla_json"))
        super().__init__(UCLA_ACTIONS, samples)
