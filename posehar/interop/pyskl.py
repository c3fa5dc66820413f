"""PYSKL / MMAction2 skeleton annotation pickles <-> posehar keypoint stores.

The pickle holds ``{'split': {name: [frame_dir, ...]}, 'annotations': [ann, ...]}`` where each
``ann`` has ``frame_dir`` (str), ``label`` (int), ``keypoint`` (M, T, V, C) float32,
``keypoint_score`` (M, T, V) float32, ``img_shape`` / ``original_shape`` (h, w) and
``total_frames`` (T). posehar writes M = 1 person and:

* MediaPipe sequences: C = 2, pixels (x * w, y * h); score = the landmark's visibility, 0 in
  frames without a body. V = 33 body joints; with ``hands=True``, V = 75 = 33 body + 21 left
  hand + 21 right hand (score 1 where the hand was seen, else 0), so every annotation of a
  file has the same V whether or not a clip had hands. MediaPipe's z is not exported.
* Kinect v1 sequences: C = 3 (x, y, z in metres), V = 20, score 1 where a body was tracked.

Extra keys PYSKL ignores keep what posehar needs on the way back: top-level ``classes`` (label
names, in label order) and per annotation ``group`` and ``fps``.

Reading a pickle executes whatever code it contains: only :func:`read_pyskl` /
:func:`import_pyskl` files you made or trust.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import KeypointFormatError
from ..layouts import HAND_JOINTS, KINECT_V1, MEDIAPIPE_POSE
from ..sequence import KeypointSequence, write_atomically
from ..store import KeypointStore, make_key

BODY_JOINTS = MEDIAPIPE_POSE.num_joints
KINECT_JOINTS = KINECT_V1.num_joints
PICKLE_PROTOCOL = 4  # readable by every Python 3 that PYSKL and MMAction2 support


def to_annotation(seq: KeypointSequence, frame_dir: str, label: int, group: str, hands: bool = False) -> dict:
    """One PYSKL annotation (M = 1) of ``seq``; see the module docstring for V, C and scores."""
    w, h = seq.frame_size
    ann: dict[str, Any] = {"frame_dir": frame_dir, "label": int(label), "total_frames": len(seq),
                           "group": group, "fps": seq.fps}
    if w > 0 and h > 0:
        ann["img_shape"] = ann["original_shape"] = (h, w)
    present = seq.pose_present.astype(np.float32)
    if seq.layout == "kinect_v1":
        kp, score = seq.pose, np.repeat(present[:, None], KINECT_JOINTS, axis=1)
    elif seq.layout == "mediapipe_pose":
        if not (w > 0 and h > 0):
            raise KeypointFormatError(f"{seq.source}: frame size unknown, cannot convert to pixels for PYSKL")
        scale = np.array([w, h], np.float32)
        kp, score = seq.pose[..., :2] * scale, seq.pose[..., 3] * present[:, None]
        if hands:
            parts = [(seq.left_hand, seq.left_present), (seq.right_hand, seq.right_present)]
            for arr, mask in parts:
                arr = np.zeros((len(seq), HAND_JOINTS, 3), np.float32) if arr is None else arr
                kp = np.concatenate([kp, arr[..., :2] * scale], axis=1)
                score = np.concatenate([score, np.repeat(mask.astype(np.float32)[:, None], HAND_JOINTS, 1)], axis=1)
    else:
        raise KeypointFormatError(f"{seq.source}: layout {seq.layout!r} has no PYSKL export")
    ann["keypoint"] = np.ascontiguousarray(kp[None], dtype=np.float32)
    ann["keypoint_score"] = np.ascontiguousarray(score[None], dtype=np.float32)
    return ann


def export_pyskl(store: KeypointStore | str | os.PathLike, out: str | os.PathLike,
                 hands: bool = False, split: dict[str, list[str]] | None = None) -> dict:
    """Write every ok sequence of ``store`` to a PYSKL pickle at ``out`` (atomically); return its dict.

    frame_dir is the source file's stem, or the frame_dir a sequence was imported with (made
    unique with the parent folder's name, then the key); labels are indices into the sorted label
    names; annotations are in frame_dir order; ``split`` defaults to ``{'all': every frame_dir}``.
    All sequences must share one layout.
    """
    store = store if isinstance(store, KeypointStore) else KeypointStore(store, create=False)
    rows = [r for r in store.manifest() if r["status"] == "ok"]
    seqs = [store.load(r["key"]) for r in rows]
    if len({s.layout for s in seqs}) > 1:
        raise KeypointFormatError(f"{store.root} mixes keypoint layouts; export each layout from its own store")
    classes = sorted({str(r["label"]) for r in rows})
    class_index = {c: i for i, c in enumerate(classes)}
    annotations = sorted((to_annotation(seq, name, class_index[str(row["label"])], str(row["group"]), hands)
                          for row, seq, name in zip(rows, seqs, _frame_dirs(rows, seqs))),
                         key=lambda a: a["frame_dir"])
    data = {"split": split or {"all": [a["frame_dir"] for a in annotations]},
            "annotations": annotations, "classes": classes}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, lambda fh: pickle.dump(data, fh, protocol=PICKLE_PROTOCOL))
    return data


def _frame_dirs(rows: list[dict], seqs: list[KeypointSequence]) -> list[str]:
    """Unique frame_dir names: the imported name or source stem, then ``<parent>_<stem>``,
    then ``<parent>_<stem>_<key[:8]>`` where names still collide."""
    names = [str(seq.meta.get("pyskl_frame_dir") or Path(row["source"]).stem) for row, seq in zip(rows, seqs)]
    for qualify in (lambda row, name: f"{Path(row['source']).parent.name}_{name}",
                    lambda row, name: f"{name}_{row['key'][:8]}"):
        counts = Counter(names)
        names = [qualify(row, n) if counts[n] > 1 else n for row, n in zip(rows, names)]
    return names


def read_pyskl(path: str | os.PathLike) -> dict:
    """Load a PYSKL annotation pickle. Unpickling runs code: only for files you trust."""
    with open(path, "rb") as fh:
        try:
            data = pickle.load(fh)  # noqa: S301 - the caller vouched for this file
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError,
                ValueError) as exc:
            raise KeypointFormatError(f"{path} is not a readable pickle ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise KeypointFormatError(f"{path} is not a PYSKL annotation file (no 'annotations' list)")
    for i, ann in enumerate(data["annotations"]):
        missing = [k for k in ("frame_dir", "label", "keypoint") if not isinstance(ann, dict) or k not in ann]
        if missing:
            raise KeypointFormatError(f"{path}: annotation {i} lacks {', '.join(missing)}")
    return data


def from_annotation(ann: dict, label: str, source: str) -> KeypointSequence:
    """The best-scored person of one PYSKL annotation as a KeypointSequence."""
    kp = np.asarray(ann["keypoint"], np.float32)
    if kp.ndim != 4:
        raise KeypointFormatError(f"{source}: keypoint must be (M, T, V, C), got shape {kp.shape}")
    score = np.asarray(ann.get("keypoint_score", np.ones(kp.shape[:3])), np.float32)
    person = int(np.argmax(score.reshape(len(kp), -1).sum(axis=1)))
    kp, score = kp[person], score[person]
    t, v, c = kp.shape
    common = dict(fps=float(ann.get("fps", 30.0)), source=source, label=label,
                  meta={"pyskl_frame_dir": ann["frame_dir"]})
    if (v, c) == (KINECT_JOINTS, 3):
        h, w = ann.get("img_shape", (0, 0))
        return KeypointSequence(pose=kp, pose_present=score.max(axis=1) > 0, frame_size=(w, h),
                                layout="kinect_v1", **common)
    if v not in (BODY_JOINTS, BODY_JOINTS + 2 * HAND_JOINTS) or c != 2 or "img_shape" not in ann:
        raise KeypointFormatError(
            f"{source}: {v} joints x {c} channels is not a layout posehar knows (33 or 75 MediaPipe "
            "joints with x, y pixels and img_shape, or 20 Kinect v1 joints with x, y, z)"
        )
    h, w = ann["img_shape"]
    xy = kp / np.array([w, h], np.float32)
    zeros = np.zeros((t, v, 1), np.float32)
    body = np.concatenate([xy[:, :BODY_JOINTS], zeros[:, :BODY_JOINTS], score[:, :BODY_JOINTS, None]], axis=2)
    hands: dict[str, Any] = {}
    if v > BODY_JOINTS:
        hand_xyz = np.concatenate([xy[:, BODY_JOINTS:], zeros[:, BODY_JOINTS:]], axis=2)
        hand_seen = score[:, BODY_JOINTS:].reshape(t, 2, HAND_JOINTS).max(axis=2) > 0
        hands = dict(left_hand=hand_xyz[:, :HAND_JOINTS], right_hand=hand_xyz[:, HAND_JOINTS:],
                     left_present=hand_seen[:, 0], right_present=hand_seen[:, 1])
    return KeypointSequence(pose=body, pose_present=score[:, :BODY_JOINTS].max(axis=1) > 0,
                            frame_size=(w, h), **hands, **common)


def import_pyskl(path: str | os.PathLike, store: KeypointStore | str | os.PathLike) -> list[str]:
    """Save every annotation of a trusted PYSKL pickle into ``store``; return their keys.

    Unpickling runs code: only for files you made or trust. Keys come from the annotation's
    arrays, so importing the same file twice adds nothing.
    """
    from ..datasets import Sample

    store = store if isinstance(store, KeypointStore) else KeypointStore(store)
    data = read_pyskl(path)
    classes = [str(c) for c in data.get("classes", [])]
    keys = []
    for ann in data["annotations"]:
        label = classes[ann["label"]] if ann["label"] < len(classes) else str(ann["label"])
        source = f"{path}#{ann['frame_dir']}"
        seq = from_annotation(ann, label, source)
        digest = hashlib.sha256(str(ann["frame_dir"]).encode())
        for arr in (seq.pose, seq.left_hand, seq.right_hand):
            if arr is not None:
                digest.update(arr.tobytes())
        key = make_key(digest.hexdigest(), "keypoints", {"imported_from": "pyskl"})
        sample = Sample(source=Path(source), label=label, group=str(ann.get("group", ann["frame_dir"])), kind="keypoints")
        with store.lock(key, blocking=True):
            if not store.has(key):
                store.put(key, seq, sample, {"imported_from": "pyskl"})
        keys.append(key)
    return keys
