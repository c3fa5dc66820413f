"""The common body layout every skeleton source maps into, and one table per source layout.

The common body is the 13 joints that MediaPipe Pose, Kinect v1/v2, COCO-17, AlphaPose-13,
OpenPose BODY_25, Penn Action, JHMDB and SBU all have: head, shoulders, elbows, wrists, hips,
knees and ankles (Penn Action's own 13). Layout ``common_body_hands_feet`` adds a hand and a foot on
each side where a source has them: Kinect v1 and v2 track a hand joint beyond each wrist and a foot
joint beyond each ankle; MediaPipe's hand is the midpoint of its index and pinky knuckles, its foot the
tip of the foot; OpenPose's foot the midpoint of the toes; SBU's "hand" and "foot" are its wrists and
ankles, and the 2D annotation sets have none (masked). A model reads them only where every set it is
trained on has them (:func:`body_layout`). Left and right are the performer's own side in every
source. A common-body :class:`~posehar.sequence.KeypointSequence` (layout ``common_body``) holds,
per joint, image-plane x (right) and y (down) in isotropic units (pixels, or any unit equal on
both axes), a 0/1 "seen" flag, the joint's depth relative to the body in the same units (negative:
nearer the camera) and a 0/1 flag saying the source gave that depth; a joint the source lacks, or
did not see, has flag 0 and coordinates 0: it is masked, never invented. 3D sources give depth;
MediaPipe gives an estimate of it (its z, scaled by :data:`MEDIAPIPE_DEPTH_SCALE`); 2D annotations
(Penn Action, JHMDB, COCO, ...) give none, and their depth is masked.

Each source layout is one :class:`SourceLayout` row of ``SOURCE_LAYOUTS``: its joint names in
order (as the source spells them), how its coordinates are to be read (3D camera space, or 2D
image coordinates, optionally with a visibility channel), and which of its joints is each common
joint. A file's layout is found from its joint names (:func:`identify_layout`), never from its
file name. 3D sources become 2D through :mod:`posehar.geometry`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from .errors import KeypointFormatError
from .geometry import View, project_depth
from .layouts import COMMON_BODY, COMMON_BODY_HANDS_FEET, KINECT_V1_JOINTS, get_layout
from .proportions import Proportions, reproportion
from .sequence import KeypointSequence
from .skeleton import SkeletonClip

COMMON_JOINTS: tuple[str, ...] = COMMON_BODY.joints
COMMON_LAYOUTS: tuple[str, ...] = (COMMON_BODY.name, COMMON_BODY_HANDS_FEET.name)
VISIBLE = 0.5  # a 2D source's visibility/confidence at or above which a joint counts as seen
# MediaPipe estimates every joint, an arm behind the body too, and gives it a low visibility: on the
# shared pedestrians_vtest.avi (14 people about 65 px tall, first 400 frames) the far arm's elbow or
# wrist is below 0.5 in 10-80% of a person's frames, so the default model, which never saw a walking
# arm blink in and out, named walk first for 4 of the 14 (bowling, throw for most). Kinect's sets keep
# such inferred joints as tracked; so a MediaPipe joint inside the frame counts as seen from 0.1 (walk
# first for 10 of 14; the lab clips seed_test_4 and 6-9 read as before), and one beyond the frame,
# which is extrapolated, is unseen (``SourceLayout.in_frame_only``).
MEDIAPIPE_VISIBLE = 0.1
# MediaPipe's z is about 4 times the true depth: on the shared G3D-style lab clips (seed_test_4,
# 6, 7, 8: arms and legs pointed at the camera), thigh, shin, upper-arm and forearm lengths are
# most nearly constant over the frames (coefficient of variation 0.03-0.07, against 0.09-0.27 with
# z as it is) with z multiplied by 0.2-0.25.
MEDIAPIPE_DEPTH_SCALE = 0.25


@dataclass(frozen=True)
class SourceLayout:
    """One source's joints and how each common joint is read from them.

    space: "camera3d" (x to the sensor's left, y up, z away, metres: Kinect) or "image"
    (x right, y down; pixels, or fractions of the frame: see ``fractions``).
    visibility: channel holding a visibility/confidence (image sources), or None; a joint is seen
    where it is at least ``visible``.
    common: for each joint of ``common_body_hands_feet`` (the common body's 13, then hands and feet), the
    source joint it is, or a weighted mean of source joints ((name, weight), ...), or None where the
    source lacks it.
    depth: channel of an image source holding depth in the units of x (MediaPipe's z), or None;
    depth_scale: what it is multiplied by to read as true depth.
    fractions: whether an image source's x, y are fractions of the frame (then x is scaled by the
    frame's aspect): None decides from the values (:func:`_in_fractions`).
    in_frame_only: the source estimates joints beyond the frame (MediaPipe): where its x, y are fractions,
    those are unseen, however visible the source calls them.
    """

    name: str
    joint_names: tuple[str, ...]
    space: str
    common: tuple
    visibility: int | None = None
    depth: int | None = None
    depth_scale: float = 1.0
    visible: float = VISIBLE
    fractions: bool | None = None
    in_frame_only: bool = False

    @property
    def hands_feet(self) -> bool:
        """Whether the source gives every hand and foot of ``common_body_hands_feet``."""
        return all(entry is not None for entry in self.common[COMMON_BODY.num_joints:])

    def weights(self, joints: int = COMMON_BODY_HANDS_FEET.num_joints) -> np.ndarray:
        """(common joints, source joints) matrix of the first ``joints`` common joints: each as a weighted
        mean of source joints."""
        pos = {n: i for i, n in enumerate(self.joint_names)}
        w = np.zeros((joints, len(self.joint_names)), np.float32)
        for row, entry in enumerate(self.common[:joints]):
            for name, weight in _terms(entry):
                w[row, pos[name]] = weight
        return w


def _terms(entry) -> tuple[tuple[str, float], ...]:
    if entry is None:
        return ()
    return ((entry, 1.0),) if isinstance(entry, str) else tuple(entry)


def _face(head: str, neck: str, weight: float) -> tuple[tuple[str, float], tuple[str, float]]:
    """The face (nose height) from a head-centre joint and the neck or shoulder centre below it.

    The common ``head`` is the face, as MediaPipe's and COCO's nose, Penn Action's head and JHMDB's
    face give it: a median 0.50-0.61 shoulder widths above the mid-shoulder point in those sets.
    Kinect's head joint is the centre of the head, 0.89-1.01 above (median over each shared set),
    so the face is taken ``weight`` of the way from the neck joint to it; the weights put each
    Kinect set's median at 0.57-0.66 (tests/test_body_layout.py). Without this, a model trained on
    Kinect reads a MediaPipe kick (seed_test_7) as walking.
    """
    return ((head, weight), (neck, 1.0 - weight))


def _limbs(fmt: str, left: str, right: str) -> tuple[str, ...]:
    """The 12 limb joints (shoulder..ankle, left then right each) spelt by ``fmt``."""
    parts = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
    out: list[str] = []
    for part in parts:
        out += [fmt.format(part=part, Part=part.capitalize(), PART=part.upper(), side=left),
                fmt.format(part=part, Part=part.capitalize(), PART=part.upper(), side=right)]
    return tuple(out)


_KINECT_LIMBS = _limbs("{Part}{side}", "Left", "Right")
_KINECT_HANDS_FEET = ("HandLeft", "HandRight", "FootLeft", "FootRight")  # the common hands, then feet
_NO_HANDS_FEET = (None,) * 4  # a source without hand or foot joints


def _mean(*joints: str) -> tuple[tuple[str, float], ...]:
    """A common joint as the mean of source ``joints``."""
    return tuple((joint, 1.0 / len(joints)) for joint in joints)


def _hips_lowered(limbs: tuple, weight: float = 0.25) -> tuple:
    """``limbs`` with each hip taken ``weight`` of the way down to its knee.

    Kinect v1's hip joints sit at the top of the pelvis: a median 1.16-1.32 shoulder widths below
    the shoulders in G3D, MSRC-12, UTD-MHAD, Kinder-Gator and NW-UCLA, with the knees 1.34-1.58
    below them; Kinect v2 (NTU), Penn Action and MediaPipe put the hip at the hip joint, about
    1.6 below the shoulders with the knee about 1.1-1.2 below it. A quarter of the way to the
    knee brings Kinect v1 in line.
    """
    out = list(limbs)
    for hip, knee in ((6, 8), (7, 9)):  # left hip, left knee; right hip, right knee (see _limbs)
        out[hip] = ((limbs[hip], 1.0 - weight), (limbs[knee], weight))
    return tuple(out)

SOURCE_LAYOUTS: tuple[SourceLayout, ...] = (
    SourceLayout("mediapipe_pose", get_layout("mediapipe_pose").joints, "image",
                 ("nose",) + _limbs("{side}_{part}", "left", "right")
                 + (_mean("left_index", "left_pinky"), _mean("right_index", "right_pinky"), "left_foot_index",
                    "right_foot_index"), visibility=3, depth=2,
                 depth_scale=MEDIAPIPE_DEPTH_SCALE, visible=MEDIAPIPE_VISIBLE, in_frame_only=True),
    # Kinect v1 SDK order (G3D, MSRC-12, Kinder-Gator, NW-UCLA).
    SourceLayout("kinect_v1", KINECT_V1_JOINTS, "camera3d",
                 (_face("Head", "ShoulderCenter", 0.45),) + _hips_lowered(_KINECT_LIMBS) + _KINECT_HANDS_FEET),
    # UTD-MHAD's own order, head first.
    SourceLayout("utd_mhad", ("head", "shoulder_center", "spine", "hip_center", "shoulder_L", "elbow_L", "wrist_L",
                              "hand_L", "shoulder_R", "elbow_R", "wrist_R", "hand_R", "hip_L", "knee_L", "ankle_L",
                              "foot_L", "hip_R", "knee_R", "ankle_R", "foot_R"),
                 "camera3d", (_face("head", "shoulder_center", 0.45),) + _hips_lowered(_limbs("{part}_{side}", "L", "R"))
                 + ("hand_L", "hand_R", "foot_L", "foot_R")),
    # Kinect v2 (NTU RGB+D).
    SourceLayout("kinect_v2", ("SpineBase", "SpineMid", "Neck", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft",
                               "HandLeft", "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft",
                               "KneeLeft", "AnkleLeft", "FootLeft", "HipRight", "KneeRight", "AnkleRight", "FootRight",
                               "SpineShoulder", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight"),
                 "camera3d", (_face("Head", "SpineShoulder", 0.63),) + _KINECT_LIMBS + _KINECT_HANDS_FEET),
    # SBU Kinect Interaction, one person (OpenNI 15 joints; "hand" is the wrist end, "foot" the ankle).
    SourceLayout("sbu_person", ("HEAD", "NECK", "TORSO", "LEFT_SHOULDER", "LEFT_ELBOW", "LEFT_HAND", "RIGHT_SHOULDER",
                                "RIGHT_ELBOW", "RIGHT_HAND", "LEFT_HIP", "LEFT_KNEE", "LEFT_FOOT", "RIGHT_HIP",
                                "RIGHT_KNEE", "RIGHT_FOOT"),
                 "camera3d", (_face("HEAD", "NECK", 0.63), "LEFT_SHOULDER", "RIGHT_SHOULDER", "LEFT_ELBOW",
                              "RIGHT_ELBOW", "LEFT_HAND", "RIGHT_HAND", "LEFT_HIP", "RIGHT_HIP", "LEFT_KNEE",
                              "RIGHT_KNEE", "LEFT_FOOT", "RIGHT_FOOT") + _NO_HANDS_FEET),
    # Penn Action's "left" joints are the performer's right: in its "front" view (the performer facing the
    # camera) the joint it calls left_shoulder lies on the image's left in 96% of frames (a Kinect set's
    # left shoulder: on the image's right in 97-100%), and the wrist it calls left travels further in 80%
    # of its "bowl" clips (most people bowl right-handed). So its left is the common right, and its right
    # the common left (test_penn_actions_left_and_right_are_read_as_the_performers_own).
    SourceLayout("penn_action", ("head",) + _limbs("{side}_{part}", "left", "right"), "image",
                 ("head",) + _limbs("{side}_{part}", "right", "left") + _NO_HANDS_FEET, visibility=2),
    SourceLayout("jhmdb", ("neck", "belly", "face", "right_shoulder", "left_shoulder", "right_hip", "left_hip",
                           "right_elbow", "left_elbow", "right_knee", "left_knee", "right_wrist", "left_wrist",
                           "right_ankle", "left_ankle"),
                 # JHMDB's pos_world: centred on the frame in units of the puppet's scale, half of them negative.
                 "image", ("face",) + _limbs("{side}_{part}", "left", "right") + _NO_HANDS_FEET, fractions=False),
    SourceLayout("coco17", ("nose", "left_eye", "right_eye", "left_ear", "right_ear")
                 + _limbs("{side}_{part}", "left", "right"), "image",
                 ("nose",) + _limbs("{side}_{part}", "left", "right") + _NO_HANDS_FEET, visibility=2),
    # AlphaPose's 13 COCO joints (UR Fall): nose and the 12 limb joints.
    SourceLayout("alphapose13", ("nose",) + _limbs("{side}_{part}", "left", "right"), "image",
                 ("nose",) + _limbs("{side}_{part}", "left", "right") + _NO_HANDS_FEET, visibility=2),
    SourceLayout("openpose_body25", ("Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
                                     "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye",
                                     "REar", "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel"),
                 "image", ("Nose",) + _limbs("{side}{Part}", "L", "R")
                 + (None, None, _mean("LBigToe", "LSmallToe"), _mean("RBigToe", "RSmallToe")), visibility=2),
)
_BY_NAME = {s.name: s for s in SOURCE_LAYOUTS}
# posehar's own KeypointSequence layouts and the source layout each one is.
_SEQUENCE_SOURCES = {"mediapipe_pose": "mediapipe_pose", "kinect_v1": "kinect_v1"}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def identify_layout(joint_names) -> SourceLayout:
    """The source layout whose joints are exactly ``joint_names`` (spelling, case and ``_`` aside).

    Raises KeypointFormatError naming the joints when no known layout has them.
    """
    names = [str(n) for n in joint_names]
    wanted = [_key(n) for n in names]
    for layout in SOURCE_LAYOUTS:
        if [_key(n) for n in layout.joint_names] == wanted:
            return layout
    for layout in SOURCE_LAYOUTS:
        if sorted(_key(n) for n in layout.joint_names) == sorted(wanted):
            return _reordered(layout, names)
    shown = ", ".join(names[:6]) + (f" (+{len(names) - 6} more)" if len(names) > 6 else "")
    raise KeypointFormatError(
        f"no known skeleton layout has the {len(names)} joints {shown}; known layouts: "
        f"{', '.join(s.name for s in SOURCE_LAYOUTS)}"
    )


def _reordered(layout: SourceLayout, names: list[str]) -> SourceLayout:
    """``layout`` with its joints in the order (and spelling) of ``names``."""
    spelt = {_key(n): n for n in names}
    common = tuple(None if c is None else tuple((spelt[_key(n)], w) for n, w in _terms(c)) for c in layout.common)
    return replace(layout, joint_names=tuple(names), common=common)


def _in_fractions(xy: np.ndarray, seen: np.ndarray) -> bool:
    """Whether image coordinates (T, J, 2) are fractions of the frame rather than pixels: the seen
    joints' median coordinate lies within [0, 1] (a few joints estimated beyond the frame, as
    MediaPipe's are, do not decide it; in pixels only a person in the frame's corner pixel would)."""
    values = xy[seen] if seen.any() else xy.reshape(-1, 2)
    return bool(values.size == 0 or 0.0 <= np.median(values) <= 1.0)


def body_layout(sources: Iterable[SourceLayout]) -> str:
    """The common-body layout a model trained on these sources reads: ``common_body_hands_feet`` where
    every one of them gives hands and feet, else ``common_body``.

    Why not always: on the inner splits of the protocols (training people only, seeds 0 / 1) hands and
    feet gained on sets that have them, G3D leave-one-actor-out 0.930 / 0.937 -> 0.956 / 0.950, MSRC-12
    0.942 / 0.974 -> 0.950 / 0.974, UTD-MHAD 0.907 / 0.889 -> 0.898 / 0.903, NW-UCLA level; but an
    encoder of many sets, some without them, then taught from 5 clips of MSRC-12 read 0.879 against
    0.902 (docs/experiments.md, eighteenth and nineteenth sessions).
    """
    listed = list(sources)
    return COMMON_BODY_HANDS_FEET.name if listed and all(s.hands_feet for s in listed) else COMMON_BODY.name


def to_common(clip: SkeletonClip, view: View | None = None, proportions: Proportions | None = None,
              layout: str = COMMON_BODY.name) -> KeypointSequence:
    """``clip`` as a common-body KeypointSequence (image plane, seen flags, relative depth) of ``layout``
    (one of :data:`COMMON_LAYOUTS`).

    3D sources are projected by a pinhole camera at the sensor (or at ``view``, a virtual
    viewpoint), with each joint's depth relative to the body (:func:`posehar.geometry.project_depth`),
    replayed first by a body of other ``proportions`` when given (frames with every joint tracked);
    2D sources keep their image coordinates (fractions of the frame are scaled by its aspect, 4:3
    when unknown) and the depth they give, if any; joints below the source's ``visible`` threshold, and
    a MediaPipe joint beyond the frame (``in_frame_only``), are masked.
    """
    if layout not in COMMON_LAYOUTS:
        raise KeypointFormatError(f"{layout!r} is not a common-body layout ({', '.join(COMMON_LAYOUTS)})")
    source = identify_layout(clip.joint_names)
    joints = get_layout(layout).num_joints
    weights = source.weights(joints)
    t = len(clip)
    out = np.zeros((t, joints, COMMON_BODY.channels), np.float32)
    have = weights.sum(axis=1) > 0
    w = weights[have]
    used = w > 0
    depth = None
    if source.space == "camera3d":
        tracked = clip.joints[..., 2] > 0.1  # z = 0 marks an untracked joint
        sources_tracked = (tracked[:, None, :] | ~used[None]).all(axis=2)  # (T, common joints)
        combined = np.einsum("cj,tjk->tck", w, clip.joints[..., :3])
        if proportions is not None:
            whole = sources_tracked.all(axis=1)
            body = np.zeros((int(whole.sum()), joints, 3))  # every source has the 13 it reads
            body[:, have] = combined[whole]
            combined[whole] = reproportion(body, proportions)[:, have]
        xy, depth, seen = project_depth(combined, view)
        seen &= sources_tracked
    else:
        joints = clip.joints
        seen_source = np.ones(joints.shape[:2], bool)
        if source.visibility is not None and joints.shape[2] > source.visibility:
            seen_source = joints[..., source.visibility] >= source.visible
        fractions = source.fractions
        if fractions is None:
            fractions = _in_fractions(joints[..., :2], seen_source & used.any(axis=0))
        if fractions and source.in_frame_only:
            seen_source = seen_source & ((joints[..., :2] >= 0.0) & (joints[..., :2] <= 1.0)).all(axis=-1)
            joints = np.concatenate([np.clip(joints[..., :2], 0.0, 1.0), joints[..., 2:]], axis=-1)
        seen = (seen_source[:, None, :] | ~used[None]).all(axis=2)
        xy = np.einsum("cj,tjk->tck", w, joints[..., :2]).astype(np.float32)
        if source.depth is not None and joints.shape[2] > source.depth:
            depth = source.depth_scale * np.einsum("cj,tj->tc", w, joints[..., source.depth]).astype(np.float32)
        if fractions:
            width, height = clip.frame_size
            aspect = (width / height) if width > 0 and height > 0 else 4.0 / 3.0
            xy[..., 0] *= aspect
            if depth is not None:
                depth *= aspect  # MediaPipe's z is in the units of x: fractions of the frame's width
    seen &= clip.present[:, None]
    out[:, have, :2] = np.where(seen[..., None], xy, 0.0)
    out[:, have, 2] = seen
    if depth is not None:
        d = COMMON_BODY.depth
        out[:, have, d] = np.where(seen, depth, 0.0)
        out[:, have, d + 1] = seen
    present = out[..., 2].any(axis=1)
    fps = clip.fps if np.isfinite(clip.fps) and clip.fps > 0 else 30.0  # unstated (Penn, JHMDB, NW-UCLA): 30
    meta = dict(clip.meta)
    meta.update(subject=clip.subject, source_layout=source.name)
    return KeypointSequence(pose=out, pose_present=present, fps=fps, source=clip.source, layout=layout,
                            label=clip.label, meta=meta)


def sequence_to_common(seq: KeypointSequence, layout: str = COMMON_BODY.name) -> KeypointSequence:
    """A posehar sequence of another layout (MediaPipe from video, Kinect from G3D XML) in the common body
    ``layout``; one with hands and feet as the 13-joint common body (they are dropped)."""
    if seq.layout == layout:
        return seq
    if seq.layout == COMMON_BODY_HANDS_FEET.name and layout == COMMON_BODY.name:
        body = seq.pose[:, :COMMON_BODY.num_joints]
        return replace(seq, pose=body, pose_present=body[..., COMMON_BODY.visibility].any(axis=1),
                       layout=COMMON_BODY.name, meta=dict(seq.meta))
    if seq.layout == COMMON_BODY.name:
        raise KeypointFormatError(f"13-joint common-body keypoints ({seq.source}) have no hands or feet, and this "
                                  f"model reads {layout!r}: map the source to it (posehar.body.to_common)")
    name = _SEQUENCE_SOURCES.get(seq.layout)
    if name is None:
        raise KeypointFormatError(f"keypoints of layout {seq.layout!r} have no mapping to the common body")
    source = _BY_NAME[name]
    clip = SkeletonClip(joints=seq.pose, joint_names=source.joint_names, fps=seq.fps, label=seq.label,
                        source=seq.source, frame_size=seq.frame_size, present=seq.pose_present, meta=seq.meta)
    out = to_common(clip, layout=layout)
    out.frame_indices = seq.frame_indices
    out.frame_size = seq.frame_size
    return out
