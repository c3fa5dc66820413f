"""The person finder: scan for new people every few frames, follow each one on its own crop.

MediaPipe's legacy ``solutions.pose`` follows one person; the Tasks ``PoseLandmarker`` with
``num_poses`` > 1 finds everyone in principle but its detector, run on a whole 224-pixel
letterboxed frame, misses small and partly visible people (docs/multi_person.md has the
figures). So the finder splits the work:

* **Scan** (``scan``): on scan frames, PoseLandmarker (IMAGE mode, built from the wheel's models
  by :mod:`.task_bundle`) looks at the whole frame and then at overlapping square tiles
  (``tile_fraction`` of the shorter side, so small people are seen 1.5-2x larger), with every
  person already followed greyed out so the detector's few slots go to new people. Detections
  are merged across tiles, matched to lost tracks (same id again) by assignment, and the rest
  start new tracks. The scan interval doubles after a scan that finds nobody new
  (``scan_every`` .. ``scan_every_max`` frames) and falls back when someone appears or is lost.
* **Follow** (every frame): each active track has its own legacy ``solutions.pose`` graph (the
  single-person path's model and tracking) run on a square crop around its last box, with the
  other tracks' boxes greyed out (outside its own box) so it does not jump to a neighbour. The
  crop moves only when the person drifts out of its middle, and widens after a miss.

One landmark pass per person per frame, plus the periodic scan.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from ..native_log import NativeLogFilter
from .task_bundle import pose_task_bundle
from .tracker import (Track, TrackerConfig, centre_distance, iou, landmark_box, match, skeleton_distance,
                      square_crop)

GREY = 128


def _grey_out(image: np.ndarray, boxes, keep: np.ndarray | None = None, margin: float = 0.1,
              offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Copy of ``image`` with each box (frame pixels, widened by ``margin``) filled grey, except ``keep``."""
    out = image.copy()
    h, w = image.shape[:2]
    ox, oy = offset
    for b in boxes:
        mx, my = (b[2] - b[0]) * margin, (b[3] - b[1]) * margin
        x0, y0 = int(max(b[0] - mx - ox, 0)), int(max(b[1] - my - oy, 0))
        x1, y1 = int(min(b[2] + mx - ox, w)), int(min(b[3] + my - oy, h))
        if x1 > x0 and y1 > y0:
            out[y0:y1, x0:x1] = GREY
    if keep is not None:
        x0, y0 = int(max(keep[0] - ox, 0)), int(max(keep[1] - oy, 0))
        x1, y1 = int(min(keep[2] - ox, w)), int(min(keep[3] - oy, h))
        if x1 > x0 and y1 > y0:
            out[y0:y1, x0:x1] = image[y0:y1, x0:x1]
    return out


def tiles(size: tuple[int, int], fraction: float) -> list[tuple[int, int, int]]:
    """Overlapping square tiles (x0, y0, side) covering a frame, side ``fraction`` of its shorter side."""
    w, h = size
    side = int(min(w, h) * fraction)
    if side < 32:
        return []
    def starts(length: int) -> list[int]:
        n = max(1, int(np.ceil(2 * length / side)) - 1)
        return sorted({int(v) for v in np.linspace(0, length - side, n)}) if length > side else [0]
    return [(x, y, side) for y in starts(h) for x in starts(w)]


class PeopleFinder:
    """Frame-by-frame multi-person pose with stable ids; use as a context manager or call :meth:`close`.

    ``process(frame_bgr)`` returns ``{track_id: landmarks (33, 4)}`` for the people found in that
    frame (x, y normalised to the frame, z, visibility as in MediaPipe). ``tracks`` holds every
    track started so far; ``stats`` counts scans, landmark passes and tiles.
    """

    def __init__(self, config: TrackerConfig = TrackerConfig()):
        from mediapipe.tasks.python import BaseOptions, vision

        self.config = config
        self._log_filter = NativeLogFilter()
        bundle = str(pose_task_bundle())
        thr = config.detection_confidence

        def landmarker(num_poses: int):
            opts = vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=bundle), running_mode=vision.RunningMode.IMAGE,
                num_poses=num_poses, min_pose_detection_confidence=thr, min_pose_presence_confidence=thr,
                min_tracking_confidence=thr)
            return vision.PoseLandmarker.create_from_options(opts)

        with self._log_filter.quiet():
            self._whole = landmarker(4)
            self._tile = landmarker(2)
        self._graphs: dict[int, object] = {}
        self.tracks: list[Track] = []
        self.frame = -1
        self._next_scan = 0
        self._interval = config.scan_every
        self.stats = {"frames": 0, "scans": 0, "scan_calls": 0, "follow_calls": 0, "scan_s": 0.0, "follow_s": 0.0}

    # -- following --------------------------------------------------------------------------------
    def _graph(self, track_id: int):
        if track_id not in self._graphs:
            from mediapipe.python.solutions import pose

            with self._log_filter.quiet():
                graph = pose.Pose(static_image_mode=False, model_complexity=1,
                                  min_detection_confidence=0.5, min_tracking_confidence=0.5)
                # As in posehar.pose.PoseTracker: the graph opens its models in its own threads after
                # the constructor returns, and their log lines (feedback manager, XNNPACK) would be
                # written after this filter window; wait for them while they are filtered.
                wait = getattr(getattr(graph, "_graph", None), "wait_until_idle", None)
                if wait is not None:
                    wait()
            self._graphs[track_id] = graph
        return self._graphs[track_id]

    def _drop_graph(self, track_id: int) -> None:
        graph = self._graphs.pop(track_id, None)
        if graph is not None:
            graph.close()

    def _follow(self, track: Track, rgb: np.ndarray, others: list[np.ndarray]) -> np.ndarray | None:
        h, w = rgb.shape[:2]
        scale = self.config.crop_scale * (1.0 + 0.25 * track.missed)
        wanted = square_crop(track.box, scale, (w, h))
        crop = track.crop
        if crop is None or track.missed or _moved(crop, wanted):
            crop = track.crop = wanted
        x0, y0, x1, y1 = crop.astype(int)
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None
        patch = rgb[y0:y1, x0:x1]
        near = [b for b in others if iou(b, crop)[0, 0] > 0]
        if near:
            patch = _grey_out(patch, near, keep=track.box, margin=0.05, offset=(x0, y0))
        patch = np.ascontiguousarray(patch)
        patch.flags.writeable = False
        graph = self._graph(track.id)  # created outside quiet(): its lock is not re-entrant
        t0 = time.perf_counter()
        with self._log_filter.quiet():
            result = graph.process(patch)
        self.stats["follow_s"] += time.perf_counter() - t0
        self.stats["follow_calls"] += 1
        if result.pose_landmarks is None:
            return None
        lm = np.array([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark], np.float32)
        cw, ch = x1 - x0, y1 - y0
        lm[:, 0] = (lm[:, 0] * cw + x0) / w
        lm[:, 1] = (lm[:, 1] * ch + y0) / h
        lm[:, 2] = lm[:, 2] * cw / w
        return lm

    # -- scanning ---------------------------------------------------------------------------------
    def _detect(self, landmarker, image: np.ndarray) -> list[np.ndarray]:
        import mediapipe as mp

        with self._log_filter.quiet():
            result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image)))
        self.stats["scan_calls"] += 1
        return [np.array([(p.x, p.y, p.z, p.visibility) for p in pl], np.float32) for pl in result.pose_landmarks]

    def scan(self, rgb: np.ndarray, known: list[np.ndarray]) -> list[np.ndarray]:
        """Landmarks (frame-normalised) of people found outside the ``known`` boxes: whole frame, then tiles."""
        h, w = rgb.shape[:2]
        masked = _grey_out(rgb, known) if known else rgb
        found: list[np.ndarray] = []
        boxes: list[np.ndarray] = []

        def add(lm: np.ndarray) -> None:
            box = landmark_box(lm, (w, h))
            if box[3] - box[1] < 8 or (lm[:, 3] > 0.5).sum() < self.config.min_visible:
                return
            if boxes and (_overlap_of_smaller(np.stack(boxes), box) > 0.5).any():
                return
            if known and (_overlap_of_smaller(np.stack(known), box) > 0.5).any():
                return
            found.append(lm)
            boxes.append(box)

        for lm in self._detect(self._whole, masked):
            add(lm)
        for x, y, side in tiles((w, h), self.config.tile_fraction):
            for lm in self._detect(self._tile, masked[y:y + side, x:x + side]):
                lm = lm.copy()
                lm[:, 0] = (lm[:, 0] * side + x) / w
                lm[:, 1] = (lm[:, 1] * side + y) / h
                lm[:, 2] = lm[:, 2] * side / w
                add(lm)
        return found

    # -- one frame --------------------------------------------------------------------------------
    def process(self, frame_bgr: np.ndarray) -> dict[int, np.ndarray]:
        """Follow the tracks into the next frame (scanning when due); ``{track_id: landmarks}`` of those found in it."""
        cfg = self.config
        self.frame += 1
        self.stats["frames"] += 1
        t = self.frame
        h, w = frame_bgr.shape[:2]
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        active = [tr for tr in self.tracks if tr.state == "active"]
        lost_now = False
        for tr in active:
            others = [o.box for o in active if o is not tr]
            lm = self._follow(tr, rgb, others)
            if lm is None:
                tr.missed += 1
                if tr.missed > cfg.max_missed:
                    tr.state, lost_now = "lost", True
                    self._drop_graph(tr.id)
            else:
                box = landmark_box(lm, (w, h))
                if centre_distance(tr.box, box)[0, 0] > cfg.max_jump:
                    tr.missed += 1  # jumped to someone else: not this person
                    self._drop_graph(tr.id)
                    if tr.missed > cfg.max_missed:
                        tr.state, lost_now = "lost", True
                else:
                    tr.found(t, lm, box)
        self._end_duplicates(t, (w, h))
        for tr in self.tracks:
            if tr.state == "lost" and t - tr.last_frame > cfg.keep_lost:
                tr.state = "finished"
        if lost_now:
            self._interval = cfg.scan_every
            self._next_scan = min(self._next_scan, t + 1)
        if t >= self._next_scan:
            self._scan_frame(rgb, t)
        return {tr.id: tr.landmarks for tr in self.tracks if tr.state == "active" and tr.last_frame == t}

    def _scan_frame(self, rgb: np.ndarray, t: int) -> None:
        cfg = self.config
        h, w = rgb.shape[:2]
        self.stats["scans"] += 1
        t0 = time.perf_counter()
        found_now = [tr for tr in self.tracks if tr.state == "active" and tr.last_frame == t]
        detections = self.scan(rgb, [tr.box for tr in found_now])
        waiting = [tr for tr in self.tracks if tr.state in ("active", "lost") and tr.last_frame != t]
        det_boxes = np.array([landmark_box(lm, (w, h)) for lm in detections]).reshape(-1, 4)
        used = set()
        if waiting and len(detections):
            for ti, di in match(np.stack([tr.predicted(t) for tr in waiting]), det_boxes, cfg):
                waiting[ti].found(t, detections[di], det_boxes[di])
                waiting[ti].crop = None
                used.add(di)
        new = [di for di in range(len(detections)) if di not in used]
        for di in new:
            self.tracks.append(Track(id=len(self.tracks) + 1, box=det_boxes[di], landmarks=detections[di], last_frame=t))
            self.tracks[-1].found(t, detections[di], det_boxes[di])
        if new:
            self._interval = cfg.scan_every
        else:
            self._interval = min(self._interval * 2, cfg.scan_every_max)
        self._next_scan = t + self._interval
        self.stats["scan_s"] += time.perf_counter() - t0

    def _end_duplicates(self, t: int, size: tuple[int, int]) -> None:
        """Two tracks on one person (a follower that jumped to its neighbour): end the younger one."""
        now = [tr for tr in self.tracks if tr.state == "active" and tr.last_frame == t]
        for i, a in enumerate(now):
            for b in now[i + 1:]:
                if b.state != "active" or a.state != "active":
                    continue
                if (iou(a.box, b.box)[0, 0] > 0.3
                        and skeleton_distance(a.landmarks, b.landmarks, size) < self.config.duplicate_distance):
                    young = b if b.frames < a.frames else a
                    young.rows.pop(t, None)
                    young.boxes.pop(t, None)
                    young.state = "lost"
                    self._drop_graph(young.id)

    def close(self) -> None:
        """Close every follower graph, both scan landmarkers and the log filter."""
        for track_id in list(self._graphs):
            self._drop_graph(track_id)
        self._whole.close()
        self._tile.close()
        self._log_filter.close()

    def __enter__(self) -> "PeopleFinder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _moved(crop: np.ndarray, wanted: np.ndarray) -> bool:
    """True when the wanted crop's centre left the middle of the current one or its size changed a lot."""
    side = max(crop[2] - crop[0], 1.0)
    shift = np.abs((wanted[:2] + wanted[2:]) / 2 - (crop[:2] + crop[2:]) / 2).max()
    ratio = (wanted[2] - wanted[0]) / side
    return shift > 0.15 * side or not 0.8 <= ratio <= 1.25


def _overlap_of_smaller(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Intersection over the smaller box's area, for each of ``boxes`` against ``box``."""
    x0 = np.maximum(boxes[:, 0], box[0])
    y0 = np.maximum(boxes[:, 1], box[1])
    x1 = np.minimum(boxes[:, 2], box[2])
    y1 = np.minimum(boxes[:, 3], box[3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda r: np.clip(r[..., 2] - r[..., 0], 1, None) * np.clip(r[..., 3] - r[..., 1], 1, None)  # noqa: E731
    return inter / np.minimum(area(boxes), area(box))
