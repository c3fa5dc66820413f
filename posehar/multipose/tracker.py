"""Track bookkeeping for the person finder: boxes, matching by assignment, and which tracks to keep.

Pure numpy/scipy (no MediaPipe), so it is tested on synthetic boxes. A :class:`Track` is one
person: a stable id, the frames it was found in, its landmarks there, and its state
(``active`` while followed, ``lost`` after ``max_missed`` missed frames in a row, when a later scan
detection near its last box revives it with the same id, and ``finished`` once lost for longer than
``keep_lost`` frames). Scan detections are matched to tracks with
``scipy.optimize.linear_sum_assignment`` on a cost mixing box IoU and centre distance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

_VISIBLE = 0.3  # landmark visibility above which a joint counts for the box


@dataclass(frozen=True)
class TrackerConfig:
    """Thresholds of the finder and tracker (documented in docs/multi_person.md).

    max_missed: frames in a row a track may go unfound (its crop, widened, is still searched)
        before it is ``lost``; a lost track is no longer searched but can be revived by a scan.
    keep_lost: kept frames a lost track stays revivable before it is finished.
    match_iou / match_distance: a scan detection belongs to a track if their boxes overlap by at
        least ``match_iou`` (IoU) or their centres are closer than ``match_distance`` box heights.
    duplicate_distance: two tracks whose skeletons lie within this mean landmark distance (in box
        heights) follow the same person; the younger one is ended.
    min_seconds: tracks found in fewer frames than this many seconds (and at least 3 frames) are dropped.
    min_height: tracks whose median box is shorter than this fraction of the frame height are dropped.
    min_relative_height: tracks whose median box is shorter than this fraction of the tallest kept
        track's median box are dropped (background people in a close-up); 0 turns it off.
    scan_every / scan_every_max: frames between scans for new people; the interval doubles after
        each scan that finds nobody new (up to the max) and falls back when a person appears or is lost.
    tile_fraction: side of the square scan tiles as a fraction of the frame's shorter side.
    crop_scale: side of a track's square crop as a multiple of its box's longer side.
    detection_confidence: PoseLandmarker's detection, presence and tracking thresholds in scans.
    min_visible: a scan detection needs at least this many landmarks with visibility > 0.5.
    max_jump: a follower result whose box centre moved more than this many box heights since the
        last frame has jumped to someone else; it counts as a miss and its graph is restarted.
    stitch_gap: offline, a track that starts within this many kept frames after another ended,
        where that one ended (``match_iou`` / ``match_distance``), continues it (same id).
    """

    max_missed: int = 3
    keep_lost: int = 90
    match_iou: float = 0.2
    match_distance: float = 0.6
    duplicate_distance: float = 0.12
    min_seconds: float = 1.0
    min_height: float = 0.08
    min_relative_height: float = 0.5
    scan_every: int = 8
    scan_every_max: int = 32
    tile_fraction: float = 0.6
    crop_scale: float = 1.5
    detection_confidence: float = 0.5
    min_visible: int = 8
    max_jump: float = 0.5
    stitch_gap: int = 90


@dataclass
class Track:
    """One person followed over the video."""

    id: int
    box: np.ndarray                     # last box (x0, y0, x1, y1) in pixels
    landmarks: np.ndarray               # last landmarks (33, 4), normalised to the frame
    last_frame: int                     # kept-frame number (0, 1, ...) of the last find
    state: str = "active"
    missed: int = 0
    crop: np.ndarray | None = None      # current crop (x0, y0, x1, y1) in pixels
    rows: dict[int, np.ndarray] = field(default_factory=dict)    # kept-frame number -> (33, 4)
    boxes: dict[int, np.ndarray] = field(default_factory=dict)   # kept-frame number -> box

    def found(self, frame: int, landmarks: np.ndarray, box: np.ndarray) -> None:
        """Record the person at kept frame ``frame`` (landmarks, box); the track is active again with no misses."""
        self.rows[frame] = landmarks
        self.boxes[frame] = box
        self.landmarks, self.box, self.last_frame = landmarks, box, frame
        self.missed, self.state = 0, "active"

    def predicted(self, frame: int) -> np.ndarray:
        """The box expected at kept frame ``frame``: constant velocity from the last two finds (at most 10 frames on)."""
        seen = sorted(self.boxes)[-2:]
        if len(seen) < 2:
            return self.box
        (f0, f1) = seen
        velocity = (self.boxes[f1] - self.boxes[f0]) / max(f1 - f0, 1)
        return self.box + velocity * min(frame - f1, 10)

    @property
    def frames(self) -> int:
        """Number of kept frames the person was found in."""
        return len(self.rows)

    def median_box(self) -> np.ndarray:
        """Median (x0, y0, x1, y1) of the track's boxes over the frames it was found in."""
        return np.median(np.stack(list(self.boxes.values())), axis=0)


def landmark_box(landmarks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pixel box (x0, y0, x1, y1) of the visible landmarks (all of them if fewer than 4 are visible)."""
    w, h = size
    vis = landmarks[:, 3] > _VISIBLE if landmarks.shape[1] > 3 else np.ones(len(landmarks), bool)
    pts = landmarks[vis] if vis.sum() >= 4 else landmarks
    x, y = pts[:, 0] * w, pts[:, 1] * h
    return np.array([x.min(), y.min(), x.max(), y.max()], np.float64)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of boxes ``a`` (N, 4) against ``b`` (M, 4)."""
    a, b = np.atleast_2d(a).astype(float), np.atleast_2d(b).astype(float)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda r: np.clip(r[:, 2] - r[:, 0], 0, None) * np.clip(r[:, 3] - r[:, 1], 0, None)  # noqa: E731
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def centre_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance between box centres, in units of the larger of the two box heights (N, M)."""
    a, b = np.atleast_2d(a).astype(float), np.atleast_2d(b).astype(float)
    ca, cb = (a[:, :2] + a[:, 2:]) / 2, (b[:, :2] + b[:, 2:]) / 2
    d = np.linalg.norm(ca[:, None] - cb[None], axis=2)
    height = np.maximum((a[:, 3] - a[:, 1])[:, None], (b[:, 3] - b[:, 1])[None, :])
    return d / np.maximum(height, 1.0)


def match(track_boxes: np.ndarray, det_boxes: np.ndarray, config: TrackerConfig) -> list[tuple[int, int]]:
    """(track, detection) pairs of a minimum-cost assignment; pairs outside the gates are left out."""
    if len(track_boxes) == 0 or len(det_boxes) == 0:
        return []
    overlap = iou(track_boxes, det_boxes)
    dist = centre_distance(track_boxes, det_boxes)
    allowed = (overlap >= config.match_iou) | (dist < config.match_distance)
    cost = np.where(allowed, (1.0 - overlap) + dist, 1e6)
    rows, cols = linear_sum_assignment(cost)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if allowed[r, c]]


def skeleton_distance(a: np.ndarray, b: np.ndarray, size: tuple[int, int]) -> float:
    """Mean distance between corresponding visible landmarks of two skeletons, in box heights."""
    w, h = size
    vis = (a[:, 3] > _VISIBLE) & (b[:, 3] > _VISIBLE)
    if vis.sum() < 4:
        vis = np.ones(len(a), bool)
    pa, pb = a[vis, :2] * (w, h), b[vis, :2] * (w, h)
    height = max(np.ptp(pa[:, 1]), np.ptp(pb[:, 1]), 1.0)
    return float(np.linalg.norm(pa - pb, axis=1).mean() / height)


def keep_track(track: Track, config: TrackerConfig, fps: float, frame_height: int) -> bool:
    """True unless the track is too short (``min_seconds``) or too small (``min_height``)."""
    if track.frames < max(3, int(round(config.min_seconds * fps))):
        return False
    box = track.median_box()
    return (box[3] - box[1]) >= config.min_height * frame_height


def drop_background(tracks: list[Track], config: TrackerConfig) -> list[Track]:
    """The tracks whose median box is at least ``min_relative_height`` of the tallest one's (all if it is 0).

    Measured (docs/multi_person.md): on arm_wrestling.mp4, a close-up, a fragment in the
    background is 0.42 of the front wrestler's height; the people of exercise_three_people.avi are
    0.79-1.0 of the tallest's and those of pedestrians_vtest.avi 0.64-1.0.
    """
    if not tracks or config.min_relative_height <= 0:
        return list(tracks)
    heights = [float(tr.median_box()[3] - tr.median_box()[1]) for tr in tracks]
    tallest = max(heights)
    return [tr for tr, h in zip(tracks, heights) if h >= config.min_relative_height * tallest]


def square_crop(box: np.ndarray, scale: float, size: tuple[int, int], min_side: int = 64) -> np.ndarray:
    """Square pixel region centred on ``box``, ``scale`` times its longer side, shifted to stay in the frame."""
    w, h = size
    side = min(max((box[2] - box[0]), (box[3] - box[1])) * scale, max(w, h))
    side = max(side, min(min_side, w, h))
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x0 = np.clip(cx - side / 2, 0, max(w - side, 0))
    y0 = np.clip(cy - side / 2, 0, max(h - side, 0))
    return np.array([x0, y0, min(x0 + side, w), min(y0 + side, h)]).round()


def stitch(tracks: list[Track], config: TrackerConfig) -> list[Track]:
    """Join track fragments offline: a track that starts after another ended, near its last box.

    Pairs (earlier end, later start) within ``stitch_gap`` frames and inside the match gates are
    chosen by minimum-cost assignment, repeatedly, so a chain of fragments becomes one track
    (keeping the earliest id). Returns the tracks left, ordered by id.
    """
    tracks = sorted(tracks, key=lambda tr: min(tr.rows))
    while True:
        ends = [tr for tr in tracks]
        starts = [tr for tr in tracks]
        cost = np.full((len(ends), len(starts)), 1e6)
        for i, a in enumerate(ends):
            last = max(a.rows)
            for j, b in enumerate(starts):
                first = min(b.rows)
                if a is b or not (last < first <= last + config.stitch_gap):
                    continue
                pa, pb = a.boxes[last], b.boxes[first]
                overlap, dist = iou(pa, pb)[0, 0], centre_distance(pa, pb)[0, 0]
                if overlap >= config.match_iou or dist < config.match_distance:
                    cost[i, j] = (1.0 - overlap) + dist + (first - last) / max(config.stitch_gap, 1)
        rows, cols = linear_sum_assignment(cost)
        pairs = [(ends[r], starts[c]) for r, c in zip(rows, cols) if cost[r, c] < 1e6]
        if not pairs:
            return sorted(tracks, key=lambda tr: tr.id)
        merged: set[int] = set()
        for a, b in pairs:
            if id(a) in merged or id(b) in merged:
                continue
            a.rows.update(b.rows)
            a.boxes.update(b.boxes)
            a.id = min(a.id, b.id)
            merged.update((id(a), id(b)))
            tracks.remove(b)
