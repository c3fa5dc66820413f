"""Other bodies from one 3D recording: a common-body skeleton's segments lengthened or shortened.

A cross-subject model meets people whose arms, legs and torsos are longer or shorter than its
training people's. For training, a 3D recording can be replayed by a body of other proportions:
each segment (torso, shoulder and hip width, neck, upper arm, forearm, thigh, shin) scaled by its
own factor along the skeleton's tree from the mid-hip point outwards (hands and feet, where the body
has them, carried along at their own size), so every joint keeps its direction from its parent and the
motion stays the recorded one. Left and right segments share a factor (people are near symmetric).
Applied in 3D, before the camera projects the body, so a longer forearm seen side-on is foreshortened
as a real one would be.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .layouts import COMMON_BODY, COMMON_BODY_HANDS_FEET

_J = {name: i for i, name in enumerate(COMMON_BODY_HANDS_FEET.joints)}


@dataclass(frozen=True)
class Proportions:
    """Scale factors of a body's segments (1 = as recorded)."""

    torso: float = 1.0
    shoulders: float = 1.0
    hips: float = 1.0
    neck: float = 1.0
    upper_arm: float = 1.0
    forearm: float = 1.0
    thigh: float = 1.0
    shin: float = 1.0

    @classmethod
    def random(cls, rng: np.random.Generator, spread: float = 0.1) -> "Proportions":
        """Each factor drawn uniformly from 1 +- ``spread``."""
        return cls(*(float(rng.uniform(1 - spread, 1 + spread)) for _ in fields(cls)))


def reproportion(joints: np.ndarray, proportions: Proportions) -> np.ndarray:
    """Common-body 3D joints (T, 13, 3), or (T, 17, 3) with hands and feet, replayed by a body of ``proportions``.

    Each segment's child joint is moved so that the segment keeps its direction and its length is
    scaled, carrying the joints beyond it along; the mid-hip point stays where it was.
    """
    p = proportions
    src = np.asarray(joints, dtype=np.float64)
    out = src.copy()
    hip_mid = (src[:, _J["left_hip"]] + src[:, _J["right_hip"]]) / 2
    shoulder_mid = (src[:, _J["left_shoulder"]] + src[:, _J["right_shoulder"]]) / 2
    new_shoulder_mid = hip_mid + p.torso * (shoulder_mid - hip_mid)
    out[:, _J["head"]] = new_shoulder_mid + p.neck * (src[:, _J["head"]] - shoulder_mid)
    for side in ("left", "right"):
        shoulder, elbow, wrist = (_J[f"{side}_{j}"] for j in ("shoulder", "elbow", "wrist"))
        hip, knee, ankle = (_J[f"{side}_{j}"] for j in ("hip", "knee", "ankle"))
        out[:, shoulder] = new_shoulder_mid + p.shoulders * (src[:, shoulder] - shoulder_mid)
        out[:, elbow] = out[:, shoulder] + p.upper_arm * (src[:, elbow] - src[:, shoulder])
        out[:, wrist] = out[:, elbow] + p.forearm * (src[:, wrist] - src[:, elbow])
        out[:, hip] = hip_mid + p.hips * (src[:, hip] - hip_mid)
        out[:, knee] = out[:, hip] + p.thigh * (src[:, knee] - src[:, hip])
        out[:, ankle] = out[:, knee] + p.shin * (src[:, ankle] - src[:, knee])
        if src.shape[1] > COMMON_BODY.num_joints:
            for end, joint in (("hand", wrist), ("foot", ankle)):  # carried along unscaled
                out[:, _J[f"{side}_{end}"]] = out[:, joint] + (src[:, _J[f"{side}_{end}"]] - src[:, joint])
    return out
