"""Two-person interactions: a pair of people as one sequence, its features, and its training data.

A pair is a :class:`~posehar.sequence.KeypointSequence` of layout ``common_pair``: person A's 13
common-body joints, then person B's, the same 5 channels (x, y, seen, relative depth, depth known),
both seen by one camera. From a two-person skeleton file (SBU) the two people's 3D joints are moved
by the same virtual camera (:func:`pair_from_clips`: one pivot, the pair's mean joint) and
projected together; from a video, the two tracked people's MediaPipe keypoints are mapped to the
common body, frame by frame (:func:`pair_from_sequences`).

Features (:func:`pair_features`): each person's own common-body features
(:func:`posehar.features.sequence_features` on each half), then where B is relative to A: the
offset of B's centre from A's in A's body units, their distance, log of B's body size over A's,
and the offset's velocity. A pair's frames are those where both people are seen.

Which person is A must not matter: models are trained on both orders of every pair
(:func:`posehar.pair_training.pair_file_sequences`) and :class:`~posehar.classifier.PoseActionClassifier` averages its
probabilities over both orders (:func:`orders`). A mirror image swaps left and right within each
person (the layout's mirror pairs), never A and B.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .body import identify_layout, sequence_to_common, to_common
from .errors import KeypointFormatError
from .features import _STEP_CLIP, FeatureConfig, body_frame, sequence_features, with_previous
from .geometry import View, view_transform
from .layouts import COMMON_BODY, COMMON_PAIR
from .sequence import KeypointSequence
from .skeleton import SkeletonClip

PAIR_LAYOUT = COMMON_PAIR.name
_N = COMMON_BODY.num_joints


def pair_from_clips(a: SkeletonClip, b: SkeletonClip, view: View | None = None) -> KeypointSequence:
    """Two people's clips of one recording as a pair sequence, both seen by the same camera.

    3D clips are moved together to ``view`` (one pivot: the mean of both people's tracked joints),
    then each is projected by the camera at the sensor; 2D clips keep their image coordinates.
    """
    if len(a) != len(b):
        raise KeypointFormatError(f"a pair needs two clips of the same frames; got {len(a)} and {len(b)} frames "
                                  f"({a.source or 'person A'}, {b.source or 'person B'})")
    if view is not None and identify_layout(a.joint_names).space == "camera3d":
        joints = np.concatenate([a.joints, b.joints], axis=1)
        tracked = joints[..., 2] > 0.1  # z = 0: untracked, and stays so
        moved = np.where(tracked[..., None], view_transform(joints, tracked, view), 0.0).astype(np.float32)
        n = a.joints.shape[1]
        a = replace(a, joints=moved[:, :n], present=a.present)
        b = replace(b, joints=moved[:, n:], present=b.present)
    return _join(to_common(a), to_common(b), label=a.label, meta={**a.meta, "subject": a.subject})


def pair_from_sequences(a: KeypointSequence, b: KeypointSequence) -> KeypointSequence:
    """Two people's keypoints over the same frames (as the multi-person tracker gives them) as a pair sequence."""
    if len(a) != len(b) or not np.array_equal(a.frame_indices, b.frame_indices):
        raise KeypointFormatError(f"a pair needs two people's keypoints over the same frames; got {len(a)} and "
                                  f"{len(b)} frames ({a.source or 'person A'}, {b.source or 'person B'})")
    if a.fps != b.fps:
        raise KeypointFormatError(f"a pair's two people must share one frame rate; got {a.fps:g} and {b.fps:g} fps")
    return _join(sequence_to_common(a), sequence_to_common(b), label=a.label, meta=dict(a.meta))


def _join(a: KeypointSequence, b: KeypointSequence, label: str | None, meta: dict) -> KeypointSequence:
    pose = np.concatenate([a.pose, b.pose], axis=1)
    return KeypointSequence(pose=pose, pose_present=a.pose_present & b.pose_present, frame_indices=a.frame_indices,
                            fps=a.fps, frame_size=a.frame_size, source=a.source, layout=PAIR_LAYOUT, label=label,
                            meta=meta)


def _check_pair(seq: KeypointSequence) -> None:
    if seq.layout != PAIR_LAYOUT:
        raise KeypointFormatError(f"this model reads pairs of people (layout {PAIR_LAYOUT!r}) but the sequence is "
                                  f"{seq.layout!r}; build one with posehar.pairs.pair_from_sequences")


def halves(pair: KeypointSequence) -> tuple[KeypointSequence, KeypointSequence]:
    """The pair's two people as common-body sequences (A, B)."""
    _check_pair(pair)
    out = []
    for part in (slice(0, _N), slice(_N, 2 * _N)):
        pose = pair.pose[:, part]
        out.append(KeypointSequence(pose=pose, pose_present=pose[..., COMMON_BODY.visibility].any(axis=1),
                                    frame_indices=pair.frame_indices, fps=pair.fps, frame_size=pair.frame_size,
                                    source=pair.source, layout=COMMON_BODY.name, label=pair.label, meta=pair.meta))
    return out[0], out[1]


def swap(pair: KeypointSequence) -> KeypointSequence:
    """The same pair with B first."""
    _check_pair(pair)
    pose = np.concatenate([pair.pose[:, _N:], pair.pose[:, :_N]], axis=1)
    return KeypointSequence(pose=pose, pose_present=pair.pose_present, frame_indices=pair.frame_indices,
                            fps=pair.fps, frame_size=pair.frame_size, source=pair.source, layout=PAIR_LAYOUT,
                            label=pair.label, meta=dict(pair.meta))


def orders(seq: KeypointSequence) -> list[KeypointSequence]:
    """The orders a model reads ``seq`` in: a pair both ways round, any other sequence as it is."""
    return [seq, swap(seq)] if seq.layout == PAIR_LAYOUT else [seq]


def pair_features(pair: KeypointSequence, config: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """Return (features (T, config.dim()) float32, mask (T,) of frames where both people are seen)."""
    _check_pair(pair)
    if config.layout != PAIR_LAYOUT:
        raise KeypointFormatError(f"this model was trained on {config.layout!r} keypoints but the sequence is a "
                                  f"pair of people ({PAIR_LAYOUT!r}); use a pair model")
    a, b = halves(pair)
    person = replace(config, layout=COMMON_BODY.name, hands=False, fingers=False)
    fa, ma = sequence_features(a, person)
    fb, mb = sequence_features(b, person)
    both = ma & mb
    _, centre_a, scale_a = body_frame(a)
    _, centre_b, scale_b = body_frame(b)
    offset = np.where(both[:, None], (centre_b - centre_a) / scale_a, 0.0)
    distance = np.linalg.norm(offset, axis=1, keepdims=True)
    ratio = np.where(both[:, None], np.log(scale_b / scale_a), 0.0)
    parts = [fa, fb, offset, distance, ratio]
    if config.velocity:
        vel = np.diff(offset, axis=0, prepend=offset[:1])
        parts.append(np.clip(np.where(with_previous(both)[:, None], vel, 0.0), -_STEP_CLIP, _STEP_CLIP))
    feats = np.concatenate(parts, axis=1).astype(np.float32)
    feats[~both] = 0.0
    return feats, both
