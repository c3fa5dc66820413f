"""One geometry for 2D and 3D skeletons: 3D camera-space joints seen through a pinhole camera.

A model reads every source in the image plane, as MediaPipe gives keypoints from a video:
x right, y down, isotropic units. 3D sources (Kinect v1/v2, in metres, x to the sensor's left,
y up, z away from the sensor: the Kinect SDK's right-handed skeleton space; in every Kinect
set here the performer's left shoulder has the smaller x) are projected by a pinhole camera:
by default the Kinect v1 colour camera at the sensor (focal length 525 px, 640x480, principal
point at the centre), so a performer facing the sensor appears as a camera there sees them:
upright, their left side on the image's right.

During training the same recording is also seen from virtual viewpoints (:class:`View`): the
camera moved around the performer (yaw about the vertical axis through the sequence's mean hip
centre, pitch up or down) and nearer or farther (distance). One 3D recording then teaches many
2D views, which is what lets a model trained on frontal Kinect recordings read a side view or a
video. The NW-UCLA cross-view protocol (views 1, 2 -> 3) measures it (benchmarks/skeleton_protocols.py).

Depth is kept beside the image plane as each joint's distance in front of (negative) or behind
the body's mean depth, in pixels at the body's distance (:func:`project_depth`), so it reads in the
same units as x and y. A kick towards the camera then differs from marching on the spot, which
look alike in the image plane (the shared lab clip seed_test_7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FOCAL_PX = 525.0
FRAME_SIZE = (640, 480)
_MIN_DEPTH = 0.1  # metres: joints nearer the camera than this (or at z = 0: untracked) are not seen


@dataclass(frozen=True)
class View:
    """A virtual camera around the performer: yaw and pitch in degrees, distance in metres (None: as recorded)."""

    yaw: float = 0.0
    pitch: float = 0.0
    distance: float | None = None

    @classmethod
    def random(cls, rng: np.random.Generator, max_yaw: float = 75.0, max_pitch: float = 20.0,
               distance: tuple[float, float] = (2.0, 4.5)) -> "View":
        """A viewpoint drawn uniformly from the given ranges."""
        return cls(float(rng.uniform(-max_yaw, max_yaw)), float(rng.uniform(-max_pitch, max_pitch)),
                   float(rng.uniform(*distance)))


def _rotation(yaw: float, pitch: float) -> np.ndarray:
    """Rotation of the performer about the vertical (yaw), then about the camera's x axis (pitch)."""
    a, b = np.radians(yaw), np.radians(pitch)
    about_y = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    about_x = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return about_x @ about_y


def view_transform(joints: np.ndarray, seen: np.ndarray, view: View) -> np.ndarray:
    """Camera-space joints (T, J, 3) as the virtual camera ``view`` would record them."""
    if not seen.any():
        return joints
    pivot = joints[seen].mean(axis=0)
    moved = (joints - pivot) @ _rotation(view.yaw, view.pitch).T
    target = pivot.copy()
    if view.distance is not None:
        target = pivot * (view.distance / max(float(np.linalg.norm(pivot)), _MIN_DEPTH))
    return moved + target


def project(joints: np.ndarray, view: View | None = None, focal: float = FOCAL_PX,
            frame_size: tuple[int, int] = FRAME_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Pinhole projection of camera-space joints (T, J, 3), metres, to pixels.

    Returns (xy (T, J, 2) float32 with x right and y down, seen (T, J) bool). Joints at depth
    below 0.1 m (z = 0 marks an untracked joint in several sets) are not seen.
    """
    xy, _, seen = project_depth(joints, view, focal, frame_size)
    return xy, seen


def project_depth(joints: np.ndarray, view: View | None = None, focal: float = FOCAL_PX,
                  frame_size: tuple[int, int] = FRAME_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`project`, and each joint's relative depth: (xy, depth (T, J) float32, seen).

    depth is ``focal * (z - z_mean) / z_mean``, with z_mean the mean depth of the frame's seen
    joints: pixels at the body's distance, negative in front of the body (nearer the camera), 0
    where not seen.
    """
    joints = np.asarray(joints, dtype=np.float64)
    seen = joints[..., 2] > _MIN_DEPTH
    if view is not None:
        joints = view_transform(joints, seen, view)
        seen &= joints[..., 2] > _MIN_DEPTH
    z = np.where(seen, joints[..., 2], 1.0)
    cx, cy = frame_size[0] / 2.0, frame_size[1] / 2.0
    u = cx - focal * joints[..., 0] / z
    v = cy - focal * joints[..., 1] / z
    xy = np.stack([u, v], axis=-1)
    xy[~seen] = 0.0
    counts = seen.sum(axis=-1, keepdims=True)
    mean_z = np.where(seen, z, 0.0).sum(axis=-1, keepdims=True) / np.maximum(counts, 1)
    depth = np.where(seen, focal * (z - mean_z) / np.maximum(mean_z, _MIN_DEPTH), 0.0)
    return xy.astype(np.float32), depth.astype(np.float32), seen
