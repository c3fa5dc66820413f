"""SkeletonClip: one recording of one person's joints in its source's own layout.

This is what every skeleton reader returns (the shared ``.npz`` format and the original
published formats alike): the joints exactly as the source gives them, with the source's own
joint names, so which layout it is can be told from ``joint_names`` alone.
:func:`posehar.body.to_common` turns a clip into a :class:`~posehar.sequence.KeypointSequence`
in the common body layout that models read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import KeypointFormatError


@dataclass
class SkeletonClip:
    """Joints of one person over T frames, in the source's layout.

    joints: (T, J, C) float32; C is 3 for 3D camera-space sources (metres, Kinect axes:
    x to the sensor's left, y up, z away from the sensor) and 2 or 3 for 2D sources
    (x, y image coordinates, optionally a visibility/confidence channel).
    joint_names: the J source joint names, in order. fps: frames per second (NaN if the source
    does not say). frame_size: (width, height) in pixels of 2D sources, (0, 0) if unknown.
    present: (T,) bool, frames where the source tracked the person (default: any non-zero joint).
    """

    joints: np.ndarray
    joint_names: tuple[str, ...]
    fps: float = math.nan
    label: str | None = None
    subject: str = ""
    source: str = ""
    frame_size: tuple[int, int] = (0, 0)
    present: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.joints = np.asarray(self.joints, dtype=np.float32)
        self.joint_names = tuple(str(n) for n in self.joint_names)
        if self.joints.ndim != 3 or self.joints.shape[1] != len(self.joint_names) or self.joints.shape[2] not in (2, 3, 4):
            raise KeypointFormatError(
                f"{self.source or 'skeleton clip'}: joints must have shape (T, {len(self.joint_names)}, 2-4), "
                f"got {self.joints.shape}"
            )
        if not np.isfinite(self.joints).all():
            raise KeypointFormatError(f"{self.source or 'skeleton clip'}: joints contain NaN or infinite values")
        t = self.joints.shape[0]
        if self.present is None:
            self.present = np.abs(self.joints).reshape(t, -1).sum(axis=1) > 0
        self.present = np.asarray(self.present, dtype=bool)
        if self.present.shape != (t,):
            raise KeypointFormatError(f"{self.source or 'skeleton clip'}: present must have shape ({t},)")
        self.fps = float(self.fps)

    def __len__(self) -> int:
        return int(self.joints.shape[0])
