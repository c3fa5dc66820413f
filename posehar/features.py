"""Per-frame features of a KeypointSequence, invariant to where the person stands and how big they are.

Choices (and why):

* **Aspect.** MediaPipe x and y are fractions of image width and height; x is multiplied
  by width/height so that distances are isotropic. When the frame size is unknown (keypoint
  files recorded without it) a 4:3 webcam frame is assumed.
* **Body.** Centred on the mid-shoulder point (upper-body webcam recordings often have the
  hips out of view; shoulders are the most reliably detected pair) and divided by the
  sequence's median shoulder width, falling back to half the shoulder-hip distance when
  the person is side-on. One scale per sequence, not per frame, so real motion towards
  the camera is not normalised away. MediaPipe's per-joint visibility is kept as a feature
  so the model can ignore off-screen joints; MediaPipe's body z is left out (noisy).
* **Hands.** Each hand is expressed relative to its own wrist and divided by its palm
  length (wrist to middle-finger knuckle), giving hand shape independent of position;
  the wrist's position relative to the body (in body units) carries where the hand is.
  A presence flag per hand; absent hands are all zeros.
* **Fingers.** Per hand, how each finger is bent and spread, free of the hand's rotation and
  size: the cosine of the angle at each of the 15 finger joints, the 10 fingertip-to-fingertip
  distances and the 5 fingertip-to-wrist distances (both in palm lengths). Hand shape is what
  tells many signs apart, and these read the same however a person holds or turns the hand
  (dev people p01-p24, grouped 3-fold: 0.837 -> 0.865 with the GRU; see docs/cross_person.md).
* **Velocity.** Frame-to-frame differences of the normalised body joints and wrist
  positions (after resampling to the model's frame rate, so speed means the same thing).
* **Root motion** (``root_motion``, for whole-body actions): the per-frame centre is
  subtracted from the joints, which removes where the body goes; this block puts it back as
  the mid-hip point's offset from its mean over the window, in body units, and its velocity,
  so jumping, falling, sitting down and walking across the frame are visible.
* **Unseen joints** (layouts with a seen flag, such as ``common_body``): coordinates are
  zero where the joint's flag is 0, and the flags are features.
* **Depth** (``depth``, layouts with a depth channel: ``common_body``): how each joint moves
  towards or away from the camera, relative to the centre, in body units per frame, and a
  per-frame flag saying whether the source gave depth at all (3D recordings and MediaPipe do, 2D
  annotations do not: zeros there). A kick towards the camera then differs from marching on the
  spot. Depth itself is left out: where a joint sits in depth differs between sources (MediaPipe's
  nose half a shoulder width in front of the shoulders, Kinect's head centre level with them).
  UTD-MHAD odd -> even, seed 0: no depth 0.888, depth itself 0.858, its change only 0.891-0.916
  (two runs differing only in initialisation); over seeds 0 and 1, 0.886 -> 0.897.
* **Two people** (layout ``common_pair``, :mod:`posehar.pairs`): each person's own blocks as above
  (prefixed ``a_`` and ``b_``), then where B is relative to A (``PAIR_BLOCKS``).
* **Missing frames.** Frames with no body are zeros; the returned mask says which frames
  are real, and the encoder pools only over those.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from .errors import KeypointFormatError
from .layouts import Layout, get_layout
from .sequence import KeypointSequence

_DEFAULT_ASPECT = 4.0 / 3.0
_CLIP = 8.0
_STEP_CLIP = 1.5
# MediaPipe hand landmarks: 0 wrist, then 4 per finger from the knuckle out (thumb first).
# Each finger joint as (previous point, joint, next point) along the wrist-to-tip chain.
_JOINTS = np.array([(c[i], c[i + 1], c[i + 2]) for c in ((0, b, b + 1, b + 2, b + 3) for b in (1, 5, 9, 13, 17))
                    for i in range(3)])
_TIPS = np.array([4, 8, 12, 16, 20])
_TIP_PAIRS = np.array([(a, b) for i, a in enumerate(_TIPS) for b in _TIPS[i + 1:]])
FINGER_FEATURES = 15 + 10 + 5
# What a two-person layout adds after each person's own blocks (computed by posehar.pairs.pair_features):
# B's centre relative to A's in A's body units, their distance, log of B's body size over A's, and
# the offset's velocity (with ``velocity``).
PAIR_BLOCKS = (("pair_offset", 2, 2), ("pair_distance", 1, 0), ("pair_size_ratio", 1, 0))
PAIR_VELOCITY_BLOCKS = (("pair_offset_velocity", 2, 2),)


@dataclass(frozen=True)
class FeatureConfig:
    """What goes into the per-frame feature vector."""

    layout: str = "mediapipe_pose"
    hands: bool = True
    fingers: bool = True
    velocity: bool = True
    root_motion: bool = False
    depth: bool = False

    def as_dict(self) -> dict:
        """The configuration as a plain dict."""
        return asdict(self)

    def dim(self) -> int:
        """Width of the per-frame feature vector (the sum of :meth:`blocks`' widths)."""
        return sum(width for _, width, _ in self.blocks())

    def blocks(self) -> list[tuple[str, int, int]]:
        """The feature vector's blocks in order: (name, width, point size), point size 0 = not coordinates."""
        lay = get_layout(self.layout)
        if lay.person is not None:
            person = replace(self, layout=lay.person, hands=False, fingers=False)
            out = [(f"{p}_{name}", width, point) for p in ("a", "b") for name, width, point in person.blocks()]
            return out + list(PAIR_BLOCKS) + (list(PAIR_VELOCITY_BLOCKS) if self.velocity else [])
        coords = lay.coords
        out = [("body", lay.num_joints * coords, coords)]
        if lay.visibility is not None:
            out.append(("visibility", lay.num_joints, 0))
        depth = self.depth and lay.depth is not None
        if depth:
            out.append(("depth_flag", 1, 0))
        if self.root_motion:
            out.append(("root", coords, coords))
        if self.hands:
            for side in ("left", "right"):
                out += [(f"{side}_shape", 63, 3), (f"{side}_wrist", 2, 2), (f"{side}_flag", 1, 0)]
                if self.fingers:
                    out.append((f"{side}_fingers", FINGER_FEATURES, 0))
        if self.velocity:
            out.append(("body_velocity", lay.num_joints * coords, coords))
            if self.hands:
                out.append(("wrist_velocity", 4, 2))
            if self.root_motion:
                out.append(("root_velocity", coords, coords))
            if depth:
                out.append(("depth_velocity", lay.num_joints, 0))
        return out

    def block_columns(self) -> dict[str, np.ndarray]:
        """Column indices of each block."""
        cols, start = {}, 0
        for name, width, _ in self.blocks():
            cols[name] = np.arange(start, start + width)
            start += width
        return cols

    def xy_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """Columns holding image-plane x and y of every 2D/3D point (for rotations and shears)."""
        xs, ys, start = [], [], 0
        for _, width, point in self.blocks():
            if point:
                xs.append(np.arange(start, start + width, point))
                ys.append(np.arange(start + 1, start + width, point))
            start += width
        return np.concatenate(xs), np.concatenate(ys)


def _aspect(seq: KeypointSequence) -> float:
    w, h = seq.frame_size
    return w / h if w > 0 and h > 0 else _DEFAULT_ASPECT


def _fill_missing(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Carry the nearest detected frame's value into frames where nothing was detected."""
    if present.all() or not present.any():
        return values
    idx = np.where(present, np.arange(len(present)), -1)
    idx = np.maximum.accumulate(idx)
    first = int(np.argmax(present))
    idx[idx < 0] = first
    return values[idx]


def finger_features(hand: np.ndarray) -> np.ndarray:
    """(T, 21, 3) hand landmarks in isotropic units -> (T, 30) joint-angle cosines and fingertip
    distances in palm lengths, unchanged by the hand's position, rotation and size."""
    h = hand.astype(np.float64)
    u = h[:, _JOINTS[:, 0]] - h[:, _JOINTS[:, 1]]
    v = h[:, _JOINTS[:, 2]] - h[:, _JOINTS[:, 1]]
    cosines = (u * v).sum(-1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-9)
    palm = np.maximum(np.linalg.norm(h[:, 9] - h[:, 0], axis=-1), 1e-4)[:, None]
    between_tips = np.linalg.norm(h[:, _TIP_PAIRS[:, 0]] - h[:, _TIP_PAIRS[:, 1]], axis=-1) / palm
    to_wrist = np.linalg.norm(h[:, _TIPS] - h[:, :1], axis=-1) / palm
    return np.concatenate([cosines, between_tips, to_wrist], axis=1).astype(np.float32)


def seen_joints(seq: KeypointSequence) -> np.ndarray | None:
    """(T, J) bool seen flags of a layout that has them (``common_body``), None for others."""
    lay = get_layout(seq.layout)
    if lay.visibility is None or lay.normalised:
        return None
    return seq.pose[..., lay.visibility] > 0


def pair_point(coords: np.ndarray, seen: np.ndarray | None, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Midpoint of joints ``a`` and ``b`` per frame (the one seen where only one is), and where it exists."""
    mid = (coords[:, a] + coords[:, b]) / 2
    if seen is None:
        return mid, np.ones(len(coords), bool)
    sa, sb = seen[:, a], seen[:, b]
    point = np.where((sa & ~sb)[:, None], coords[:, a], np.where((sb & ~sa)[:, None], coords[:, b], mid))
    return point, sa | sb


def body_frame(seq: KeypointSequence) -> tuple[np.ndarray, np.ndarray, float]:
    """Body coordinates (T, J, D) in isotropic units, per-frame centre (T, D) and the sequence scale.

    With seen flags (``common_body``), the centre is the mid-shoulder point, or the one shoulder
    seen, or else the hips likewise; the scale comes from frames where both shoulders and both
    hips are seen (else the seen joints' height / 4).
    """
    lay = get_layout(seq.layout)
    coords = seq.pose[..., :lay.coords].copy()
    if lay.normalised:
        coords[..., 0] *= _aspect(seq)
    present = seq.pose_present
    ls, rs = lay.shoulders
    lh, rh = lay.hips
    seen = seen_joints(seq)
    centre, shoulders_ok = pair_point(coords, seen, ls, rs)
    hip_centre, hips_ok = pair_point(coords, seen, lh, rh)
    centre = np.where(shoulders_ok[:, None], centre, hip_centre)
    present = present & (shoulders_ok | hips_ok)
    shoulder_w = np.linalg.norm(coords[:, ls] - coords[:, rs], axis=-1)
    torso = np.linalg.norm(centre - hip_centre, axis=-1)
    measured = present
    if seen is not None:
        measured = present & seen[:, ls] & seen[:, rs] & seen[:, lh] & seen[:, rh]
    scale = 0.0
    if measured.any():
        scale = float(np.median(np.maximum(shoulder_w[measured], 0.5 * torso[measured])))
    elif seen is not None and present.any():
        heights = [np.ptp(coords[t, seen[t], 1]) for t in np.flatnonzero(present)]
        scale = float(np.median(heights)) / 4.0
    if not np.isfinite(scale) or scale < 1e-4:
        scale = 1.0
    return coords, _fill_missing(centre, present), scale


def sequence_features(seq: KeypointSequence, config: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """Return (features (T, config.dim()) float32, mask (T,) bool of frames with a body)."""
    if seq.layout != config.layout:
        raise KeypointFormatError(
            f"this model was trained on {config.layout!r} keypoints but the sequence is "
            f"{seq.layout!r}; use a model trained on that layout"
        )
    lay = get_layout(seq.layout)
    if lay.person is not None:
        raise KeypointFormatError(f"{seq.layout!r} holds two people: its features are posehar.pairs.pair_features")
    t = len(seq)
    present = seq.pose_present
    coords, centre, scale = body_frame(seq)
    body = (coords - centre[:, None, :]) / scale
    body[~present] = 0.0
    seen = seen_joints(seq)
    if seen is not None:
        body[~seen] = 0.0
    parts = [body.reshape(t, -1)]
    if lay.visibility is not None:
        parts.append(np.where(present[:, None], seq.pose[..., lay.visibility], 0.0))
    use_depth = config.depth and lay.depth is not None
    if use_depth:
        depth, depth_seen = _relative_depth(seq, present, scale)
        parts.append(depth_seen.any(axis=1, keepdims=True).astype(np.float32))
    if config.root_motion:
        root = _root_track(coords, seen, present, lay) / scale
        parts.append(root)
    wrists = []
    if config.hands:
        aspect = _aspect(seq)
        hand_width = sum(width for name, width, _ in config.blocks() if name.startswith("left_"))
        for hand, hp in ((seq.left_hand, seq.left_present), (seq.right_hand, seq.right_present)):
            if hand is None:
                parts.append(np.zeros((t, hand_width), np.float32))
                wrists.append(np.zeros((t, 2), np.float32))
                continue
            h = hand.copy()
            h[..., 0] *= aspect
            rel = h - h[:, :1, :]
            palm = np.linalg.norm(rel[:, 9, :2], axis=-1)
            palm = np.where(palm > 1e-4, palm, 1.0)
            shape = rel / palm[:, None, None]
            wrist = (h[:, 0, :2] - centre[:, :2]) / scale
            ok = hp & present if lay.normalised else hp
            shape[~ok] = 0.0
            wrist[~ok] = 0.0
            parts += [shape.reshape(t, -1), wrist, ok[:, None].astype(np.float32)]
            if config.fingers:
                parts.append(np.where(ok[:, None], finger_features(h), np.float32(0.0)))
            wrists.append(wrist)
    if config.velocity:
        vel = np.diff(body.reshape(t, -1), axis=0, prepend=body.reshape(t, -1)[:1])
        both = with_previous(present)
        vel[~both] = 0.0
        if seen is not None:
            # A joint's velocity only between two frames where it is seen.
            vel = np.where(np.repeat(with_previous(seen), lay.coords, axis=1), vel, 0.0)
            # Body parts do not move 1.5 shoulder widths in a frame; bigger changes are a centre
            # that switched joints or an annotation jump (Penn Action), not motion.
            vel = np.clip(vel, -_STEP_CLIP, _STEP_CLIP)
        parts.append(vel)
        if config.hands:
            wv = np.diff(np.concatenate(wrists, axis=1), axis=0, prepend=np.concatenate(wrists, axis=1)[:1])
            parts.append(wv)
        if config.root_motion:
            rv = np.clip(np.diff(root, axis=0, prepend=root[:1]), -_STEP_CLIP, _STEP_CLIP)
            rv[~both] = 0.0
            parts.append(rv)
        if use_depth:
            dv = np.diff(depth, axis=0, prepend=depth[:1])
            parts.append(np.clip(np.where(with_previous(depth_seen), dv, 0.0), -_STEP_CLIP, _STEP_CLIP))
    feats = np.clip(np.concatenate(parts, axis=1), -_CLIP, _CLIP).astype(np.float32)
    return feats, present.copy()


def with_previous(mask: np.ndarray) -> np.ndarray:
    """``mask`` (T, ...) where it also holds in the frame before: where a frame-to-frame change is real."""
    return mask & np.concatenate([np.zeros_like(mask[:1]), mask[:-1]])


def _relative_depth(seq: KeypointSequence, present: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(T, J) each joint's depth minus the centre's (mid-shoulder, else mid-hip), in body units, and
    (T, J) where the source gave it."""
    lay = get_layout(seq.layout)
    raw = seq.pose[..., lay.depth].astype(np.float64)
    known = (seq.pose[..., lay.depth + 1] > 0) & present[:, None]
    centre, shoulders_ok = pair_point(raw[..., None], known, *lay.shoulders)
    hips, hips_ok = pair_point(raw[..., None], known, *lay.hips)
    centre = np.where(shoulders_ok[:, None], centre, hips)[:, 0]
    known &= (shoulders_ok | hips_ok)[:, None]
    depth = np.where(known, (raw - centre[:, None]) / scale, 0.0)
    return depth.astype(np.float32), known


def _root_track(coords: np.ndarray, seen: np.ndarray | None, present: np.ndarray, lay) -> np.ndarray:
    """Mid-hip point (mid-shoulder where no hip is seen) relative to its mean over the frames."""
    hips, hips_ok = pair_point(coords, seen, *lay.hips)
    shoulders, _ = pair_point(coords, seen, *lay.shoulders)
    hips = np.where(hips_ok[:, None], hips, shoulders)
    if not present.any():
        return np.zeros_like(hips)
    track = hips - hips[present].mean(axis=0)
    track[~present] = 0.0
    return track


def mirror(seq: KeypointSequence) -> KeypointSequence:
    """The same sequence seen in a mirror: x flipped, left/right joints and hands swapped."""
    lay = get_layout(seq.layout)
    perm = lay.mirror_index()
    pose = seq.pose[:, perm].copy()
    if lay.normalised:
        pose[..., 0] = np.where(seq.pose_present[:, None], 1.0 - pose[..., 0], 0.0)
    else:
        pose[..., 0] = -pose[..., 0]

    def flip(hand: np.ndarray | None, hp: np.ndarray) -> np.ndarray | None:
        if hand is None:
            return None
        out = hand.copy()
        out[..., 0] = np.where(hp[:, None], 1.0 - out[..., 0], 0.0)
        return out

    return KeypointSequence(
        pose=pose,
        left_hand=flip(seq.right_hand, seq.right_present),
        right_hand=flip(seq.left_hand, seq.left_present),
        pose_present=seq.pose_present, left_present=seq.right_present, right_present=seq.left_present,
        frame_indices=seq.frame_indices, fps=seq.fps, frame_size=seq.frame_size, source=seq.source,
        layout=seq.layout, label=seq.label, meta=dict(seq.meta),
    )


def frame_ratio(source_fps: float, model_fps: float) -> float:
    """Source frames per model frame; 1 when the rates are within 5 % (then nothing is resampled)."""
    return source_fps / model_fps if abs(source_fps - model_fps) / model_fps >= 0.05 else 1.0


def resample(seq: KeypointSequence, fps: float) -> KeypointSequence:
    """``seq`` at ``fps`` frames a second, so that a model sees motion at the speed it was trained on.

    Down (a 60 fps camera, a 30 fps model): the nearest source frame. Up (10 or 15 fps video,
    MSRC-12's 15 fps recordings): each new frame lies between two source frames, and a joint is
    interpolated linearly between them where both hold it (the person present and, in a layout with
    seen flags, the joint seen; depth where both give it), the nearest frame's value elsewhere.
    Repeated frames would make every joint stop and then jump, a motion no 30 fps recording has: on
    inner splits, UTD-MHAD's test clips at 10 fps read 0.593 and 0.579 (two seeds) repeated, against
    0.907 and 0.824 at 30 fps (docs/experiments.md).
    """
    if frame_ratio(seq.fps, fps) == 1.0 or len(seq) == 0:
        return seq
    n = max(int(round(len(seq) / seq.fps * fps)), 1)
    t = np.minimum(np.arange(n) * seq.fps / fps, len(seq) - 1)
    out = seq.take(t.round().astype(np.int64))  # nearest frame (t is at most the last row)
    out.fps = float(fps)
    if seq.fps < fps:
        lo = np.floor(t).astype(np.int64)
        hi = np.minimum(lo + 1, len(seq) - 1)
        w = (t - lo).astype(np.float32)
        out.pose = _interpolated(seq.pose, seq.pose_present, out.pose, lo, hi, w, get_layout(seq.layout))
        if seq.left_hand is not None:
            out.left_hand = _interpolated(seq.left_hand, seq.left_present, out.left_hand, lo, hi, w)
            out.right_hand = _interpolated(seq.right_hand, seq.right_present, out.right_hand, lo, hi, w)
    return out


def _interpolated(points: np.ndarray, present: np.ndarray, nearest: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  w: np.ndarray, layout: Layout | None = None) -> np.ndarray:
    """(T', J, C) ``points`` at fractional rows ``lo + w`` (``hi`` = the row after ``lo``): linear where
    rows ``lo`` and ``hi`` both hold the joint, ``nearest`` elsewhere; 0/1 flag channels are never mixed."""
    held = np.broadcast_to((present[lo] & present[hi])[:, None], nearest.shape[:2])
    channels = np.ones(points.shape[2], bool)
    if layout is not None and layout.visibility is not None and not layout.normalised:  # a 0/1 seen flag
        held = held & (points[lo, :, layout.visibility] > 0) & (points[hi, :, layout.visibility] > 0)
        channels[layout.visibility] = False
    mix = points[lo] + w[:, None, None] * (points[hi] - points[lo])
    out = nearest.copy()
    out[..., channels] = np.where(held[..., None], mix[..., channels], nearest[..., channels])
    if layout is not None and layout.depth is not None:
        d = layout.depth
        known = held & (points[lo, :, d + 1] > 0) & (points[hi, :, d + 1] > 0)
        out[..., d] = np.where(known, mix[..., d], nearest[..., d])
        out[..., d + 1] = nearest[..., d + 1]
    return out.astype(points.dtype)
