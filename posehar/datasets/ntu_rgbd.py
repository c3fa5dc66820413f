"""NTU RGB+D 60/120 raw ``.skeleton`` text files (Kinect v2, 25 joints).

Format (whitespace separated, LF or CRLF)::

    F                                  frames
    B                                  bodies in this frame (0 = dropped frame)
    bodyID clipedEdges handLeftConfidence handLeftState handRightConfidence handRightState
        isResticted leanX leanY trackingState          (10 values, per body)
    25                                 joints
    x y z depthX depthY colorX colorY orientationW orientationX orientationY orientationZ
        trackingState                  (12 values, 25 lines)

A body keeps its ``bodyID`` across frames, so clips are grouped by id, not by position in the
frame. File names are ``SsssCcccPpppRrrrAaaa`` (setup, camera, performer, replication, action).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import DatasetLayoutError
from ..skeleton import SkeletonClip
from .base import ActionDataset, Sample, preview
from .skeleton_io import find_files, floats, read_lines

NTU_JOINTS: tuple[str, ...] = (
    "SpineBase", "SpineMid", "Neck", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
    "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft",
    "HipRight", "KneeRight", "AnkleRight", "FootRight", "SpineShoulder", "HandTipLeft", "ThumbLeft",
    "HandTipRight", "ThumbRight",
)
NTU60_ACTIONS: tuple[str, ...] = (
    "drink water", "eat meal/snack", "brushing teeth", "brushing hair", "drop", "pickup", "throw",
    "sitting down", "standing up (from sitting position)", "clapping", "reading", "writing", "tear up paper",
    "wear jacket", "take off jacket", "wear a shoe", "take off a shoe", "wear on glasses", "take off glasses",
    "put on a hat/cap", "take off a hat/cap", "cheer up", "hand waving", "kicking something",
    "put something inside pocket / take out something from pocket", "hopping (one foot jumping)", "jump up",
    "make a phone call/answer phone", "playing with phone/tablet", "typing on a keyboard",
    "pointing to something with finger", "taking a selfie", "check time (from watch)", "rub two hands together",
    "nod head/bow", "shake head", "wipe face", "salute", "put the palms together",
    "cross hands in front (say stop)", "sneeze/cough", "staggering", "falling", "touch head (headache)",
    "touch chest (stomachache/heart pain)", "touch back (backache)", "touch neck (neckache)",
    "nausea or vomiting condition", "use a fan (with hand or paper)/feeling warm",
    "punching/slapping other person", "kicking other person", "pushing other person",
    "pat on back of other person", "point finger at the other person", "hugging other person",
    "giving something to other person", "touch other person's pocket", "handshaking",
    "walking towards each other", "walking apart from each other",
)
NTU_FPS = 30.0
# NTU-60 cross-subject training performers and cross-view training cameras (Shahroudy et al. 2016).
XSUB_TRAIN = frozenset({1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38})
XVIEW_TRAIN = frozenset({2, 3})
NTU_NAME = re.compile(r"S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})", re.IGNORECASE)


def parse_ntu_name(name: str) -> dict[str, int]:
    """{setup, camera, performer, replication, action} from ``SsssCcccPpppRrrrAaaa``."""
    match = NTU_NAME.search(name)
    if not match:
        raise DatasetLayoutError(f"NTU file name {name!r} does not follow SsssCcccPpppRrrrAaaa")
    keys = ("setup", "camera", "performer", "replication", "action")
    return dict(zip(keys, (int(g) for g in match.groups())))


def ntu_action_name(action: int) -> str:
    """The NTU-60 action name of ``action`` (1-based); ``A061`` etc. past 60."""
    return NTU60_ACTIONS[action - 1] if 1 <= action <= 60 else f"A{action:03d}"


def read_ntu_skeleton(path: str | os.PathLike) -> list[SkeletonClip]:
    """Every body of a ``.skeleton`` file as one clip over all F frames, in order of first appearance.

    joints (F, 25, 3) camera-space metres; frames where the body is absent are zeros with
    ``present`` False. meta: ``body_id``, ``tracking`` (F, 25) int joint tracking states,
    ``color_xy`` / ``depth_xy`` (F, 25, 2) pixels, ``frames_tracked``, ``motion``, the
    name fields (``setup``, ``camera``, ``performer``, ``replication``, ``action``) when the
    file name has them.
    """
    path = Path(path)
    rows = read_lines(path, "NTU .skeleton")
    pos = 0

    def take(n_fields: int, what: str) -> list[str]:
        nonlocal pos
        if pos >= len(rows):
            raise DatasetLayoutError(f"{path}: truncated: the file ends where {what} was expected (line {pos + 1})")
        fields = rows[pos].split()
        if len(fields) != n_fields:
            raise DatasetLayoutError(
                f"{path} line {pos + 1}: expected {what} ({n_fields} value{'s' * (n_fields > 1)}), got {len(fields)}"
            )
        pos += 1
        return fields

    def count(what: str) -> int:
        (text,) = take(1, what)
        if not text.isdigit():
            raise DatasetLayoutError(f"{path} line {pos}: {what} {text[:40]!r} is not a whole number")
        return int(text)

    frames = count("the frame count")
    bodies: dict[str, dict[str, np.ndarray]] = {}
    for f in range(frames):
        for _ in range(count(f"the body count of frame {f + 1}")):
            info = take(10, f"a body line of frame {f + 1}")
            body_id = info[0]
            floats(info[1:], f"{path} line {pos}")
            joints = count(f"the joint count of frame {f + 1}")
            if joints != len(NTU_JOINTS):
                raise DatasetLayoutError(f"{path} line {pos}: expected {len(NTU_JOINTS)} Kinect v2 joints, got {joints}")
            values = np.array([floats(take(12, "a joint line (12 values)"), f"{path} line {pos}") for _ in range(joints)])
            if body_id not in bodies:
                bodies[body_id] = {
                    "xyz": np.zeros((frames, joints, 3), np.float32), "depth": np.zeros((frames, joints, 2), np.float32),
                    "color": np.zeros((frames, joints, 2), np.float32), "tracking": np.zeros((frames, joints), np.int8),
                    "present": np.zeros(frames, bool),
                }
            body = bodies[body_id]
            if body["present"][f]:
                raise DatasetLayoutError(f"{path}: body {body_id} appears twice in frame {f + 1}")
            body["xyz"][f], body["depth"][f], body["color"][f] = values[:, 0:3], values[:, 3:5], values[:, 5:7]
            body["tracking"][f], body["present"][f] = values[:, 11], True
    if pos != len(rows):
        raise DatasetLayoutError(f"{path} line {pos + 1}: unexpected data after the {frames} frames the file announces")
    try:
        name_fields = parse_ntu_name(path.name)
    except DatasetLayoutError:
        name_fields = {}
    action = name_fields.get("action")
    clips = []
    for body_id, body in bodies.items():
        meta = {
            "body_id": body_id, "tracking": body["tracking"], "depth_xy": body["depth"], "color_xy": body["color"],
            "frames_tracked": int(body["present"].sum()), "motion": _motion(body["xyz"], body["present"]),
            "spread": _spread(body["xyz"], body["present"]),
            **name_fields,
        }
        clips.append(SkeletonClip(
            joints=body["xyz"], joint_names=NTU_JOINTS, fps=NTU_FPS, present=body["present"],
            label=ntu_action_name(action) if action else None,
            subject=f"P{name_fields['performer']:03d}" if name_fields else "", source=str(path), meta=meta,
        ))
    return clips


def _motion(xyz: np.ndarray, present: np.ndarray) -> float:
    """Sum over joints and axes of the variance over the frames the body is tracked in."""
    tracked = xyz[present]
    return float(tracked.var(axis=0).sum()) if len(tracked) > 1 else 0.0


def _spread(xyz: np.ndarray, present: np.ndarray) -> float:
    """Mean over tracked frames of the body's x extent over its y extent (a standing person: about 0.3)."""
    tracked = xyz[present]
    if not len(tracked):
        return 0.0
    width = np.ptp(tracked[:, :, 0], axis=1)
    height = np.maximum(np.ptp(tracked[:, :, 1], axis=1), 1e-6)
    return float((width / height).mean())


def ntu_main_body(bodies: list[SkeletonClip]) -> SkeletonClip:
    """The performer: among bodies shaped like a person, the one tracked in the most frames; on a
    tie the one that moves most.

    A body wider than 0.8 of its height is treated as noise, as NTU's own denoising does (a
    misfit skeleton on furniture or at the edge of the view). A bystander is usually tracked for
    fewer frames, and when it is there throughout it moves less than the performer (A024 of the
    samples: the performer's motion 0.24, the bystander's 0.11, spread 0.35 vs 1.3).
    """
    if not bodies:
        raise DatasetLayoutError("NTU file holds no body in any frame")
    return max(bodies, key=lambda c: (c.meta["spread"] <= 0.8, c.meta["frames_tracked"], c.meta["motion"]))


def read_ntu_performer(path: str | os.PathLike) -> SkeletonClip:
    """The main performer's clip of an NTU ``.skeleton`` file (see :func:`ntu_main_body`)."""
    bodies = read_ntu_skeleton(path)
    if not bodies:
        raise DatasetLayoutError(f"{path}: no body is tracked in any frame")
    return ntu_main_body(bodies)


class NTURGBD(ActionDataset):
    """A folder (searched recursively) of NTU RGB+D ``SsssCcccPpppRrrrAaaa.skeleton`` files.

    Samples: kind ``ntu_skeleton``, group ``Pppp`` (performer), label the NTU-60 action name
    (``A061``.. past 60). ``protocol``: ``"xsub"`` (performers of :data:`XSUB_TRAIN` train) or
    ``"xview"`` (cameras 2 and 3 train, camera 1 test); ``train`` picks the side, ``train=None``
    keeps both (as ``protocol=None`` does). ``missing`` lists known-bad sample names to skip.
    """

    name = "ntu_rgbd"

    def __init__(self, root: str | os.PathLike, train: bool | None = True, protocol: str | None = "xsub",
                 missing: tuple[str, ...] = ()) -> None:
        if protocol not in ("xsub", "xview", None):
            raise DatasetLayoutError(f"NTU protocol must be 'xsub', 'xview' or None, got {protocol!r}")
        files = find_files(root, re.compile(r"\.skeleton$", re.IGNORECASE), "NTU RGB+D")
        skip = {m.upper() for m in missing}
        samples, actions, bad = [], set(), []
        for path in files:
            try:
                info = parse_ntu_name(path.stem)
            except DatasetLayoutError:
                bad.append(path.name)
                continue
            if path.stem.upper() in skip:
                continue
            actions.add(info["action"])
            in_train = {"xsub": info["performer"] in XSUB_TRAIN, "xview": info["camera"] in XVIEW_TRAIN,
                        None: train}[protocol]
            if train is None or in_train == train:
                samples.append(Sample(path, ntu_action_name(info["action"]), f"P{info['performer']:03d}", "ntu_skeleton"))
        if bad:
            raise DatasetLayoutError(f"NTU RGB+D: {len(bad)} .skeleton file(s) not named SsssCcccPpppRrrrAaaa, "
                                     f"e.g. {preview(bad, 3)}")
        extra = [ntu_action_name(a) for a in sorted(actions) if a > 60]
        super().__init__([*NTU60_ACTIONS, *extra], samples)
