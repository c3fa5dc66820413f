"""Keypoint layouts posehar knows: joint names, skeleton edges and left/right pairs.

``mediapipe_pose`` is the 33-landmark BlazePose layout of ``mediapipe.solutions.pose``
(x, y normalised to the image, z, visibility). ``kinect_v1`` is the 20-joint Microsoft
Kinect v1 skeleton used by G3D (x, y, z in metres, camera space). A model is trained on
one layout and refuses sequences of another (there is no lossless mapping: Kinect has no
face or finger joints, MediaPipe has no spine joint). ``common_body`` is the 13-joint body every
source maps into (see :mod:`posehar.body`): image-plane x, y in isotropic units, a 0/1 seen
flag, the joint's depth relative to the body in the same units, and a 0/1 flag saying whether
the source gave that depth; a model trained on it reads any source that has a table in ``posehar.body``.
``common_body_hands_feet`` is the same 13 joints, then a hand and a foot on each side (masked where a
source has none); a model of sets that all have them reads it (:func:`posehar.body.body_layout`).
``common_pair`` is two people in one sequence (two-person interactions, :mod:`posehar.pairs`): person A's
13 common joints, then person B's, the same channels, both seen by one camera.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .errors import KeypointFormatError


@dataclass(frozen=True)
class Layout:
    """A keypoint layout: joints, channels per joint, skeleton edges, left/right pairs, shoulder and hip joints."""

    name: str
    joints: tuple[str, ...]
    channels: int
    edges: tuple[tuple[int, int], ...]
    mirror_pairs: tuple[tuple[int, int], ...]
    shoulders: tuple[int, int]
    hips: tuple[int, int]
    coords: int = 3  # leading channels that are coordinates a model reads (x, y[, z])
    visibility: int | None = None  # channel holding visibility / a seen flag, if any
    normalised: bool = False  # x, y are fractions of the frame (scaled by its aspect)
    depth: int | None = None  # channel holding relative depth, its 0/1 "depth known" flag in the next one
    person: str | None = None  # a two-person layout: the layout of each person (joints of A, then of B)

    @property
    def num_joints(self) -> int:
        """Number of joints in the layout."""
        return len(self.joints)

    def mirror_index(self) -> list[int]:
        """Permutation that swaps each left joint with its right counterpart."""
        perm = list(range(self.num_joints))
        for a, b in self.mirror_pairs:
            perm[a], perm[b] = b, a
        return perm


MEDIAPIPE_POSE = Layout(
    name="mediapipe_pose",
    joints=(
        "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
        "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
        "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
        "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
        "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
        "right_heel", "left_foot_index", "right_foot_index",
    ),
    channels=4,
    edges=(
        (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12),
        (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19), (12, 14), (14, 16), (16, 18),
        (16, 20), (16, 22), (18, 20), (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27),
        (26, 28), (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
    ),
    mirror_pairs=(
        (1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18),
        (19, 20), (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32),
    ),
    shoulders=(11, 12),
    hips=(23, 24),
    coords=2,
    visibility=3,
    normalised=True,
)

# The Kinect v1 SDK's joint names in its order (NUI_SKELETON_POSITION_*): G3D, MSRC-12, Kinder-Gator, NW-UCLA.
KINECT_V1_JOINTS: tuple[str, ...] = (
    "HipCenter", "Spine", "ShoulderCenter", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
    "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft",
    "HipRight", "KneeRight", "AnkleRight", "FootRight",
)

KINECT_V1 = Layout(
    name="kinect_v1",
    joints=tuple(re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower() for name in KINECT_V1_JOINTS),  # hip_center, ...
    channels=3,
    edges=(
        (0, 1), (1, 2), (2, 3), (2, 4), (4, 5), (5, 6), (6, 7), (2, 8), (8, 9), (9, 10),
        (10, 11), (0, 12), (12, 13), (13, 14), (14, 15), (0, 16), (16, 17), (17, 18), (18, 19),
    ),
    mirror_pairs=((4, 8), (5, 9), (6, 10), (7, 11), (12, 16), (13, 17), (14, 18), (15, 19)),
    shoulders=(4, 8),
    hips=(12, 16),
)

COMMON_BODY = Layout(
    name="common_body",
    joints=(
        "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    ),
    channels=5,
    edges=((0, 1), (0, 2), (1, 2), (1, 3), (3, 5), (2, 4), (4, 6), (1, 7), (2, 8), (7, 8), (7, 9), (9, 11),
           (8, 10), (10, 12)),
    mirror_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12)),
    shoulders=(1, 2),
    hips=(7, 8),
    coords=2,
    visibility=2,
    depth=3,
)

# The common body, then a hand beyond each wrist and a foot beyond each ankle.
COMMON_BODY_HANDS_FEET = replace(
    COMMON_BODY,
    name="common_body_hands_feet",
    joints=COMMON_BODY.joints + ("left_hand", "right_hand", "left_foot", "right_foot"),
    edges=COMMON_BODY.edges + ((5, 13), (6, 14), (11, 15), (12, 16)),
    mirror_pairs=COMMON_BODY.mirror_pairs + ((13, 14), (15, 16)),
)


def _two_people(person: Layout, name: str) -> Layout:
    """A layout of two people of ``person``'s layout: A's joints, then B's; left/right swapped within each."""
    n = person.num_joints
    both = lambda pairs: tuple(pairs) + tuple((a + n, b + n) for a, b in pairs)  # noqa: E731
    return Layout(name=name, joints=tuple(f"a_{j}" for j in person.joints) + tuple(f"b_{j}" for j in person.joints),
                  channels=person.channels, edges=both(person.edges), mirror_pairs=both(person.mirror_pairs),
                  shoulders=person.shoulders, hips=person.hips, coords=person.coords, visibility=person.visibility,
                  normalised=person.normalised, depth=person.depth, person=person.name)


COMMON_PAIR = _two_people(COMMON_BODY, "common_pair")

HAND_JOINTS = 21
HAND_CHANNELS = 3
HAND_EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11),
    (11, 12), (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (17, 18), (18, 19), (19, 20), (0, 17),
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (MEDIAPIPE_POSE, KINECT_V1, COMMON_BODY,
                                                                  COMMON_BODY_HANDS_FEET, COMMON_PAIR)}


def get_layout(name: str) -> Layout:
    """Return the layout called ``name`` or raise KeypointFormatError listing the known ones."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeypointFormatError(
            f"unknown keypoint layout {name!r}; known layouts: {', '.join(sorted(LAYOUTS))}"
        ) from None
