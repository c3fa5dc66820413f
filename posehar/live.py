"""Live recognition from a camera, stream URL or file: newest frame only, sliding window, JSON per hop.

A reader thread decodes frames as they come and keeps only the newest one: when pose +
classification is slower than the source, older frames are dropped (and counted) instead of
queueing up, so the labels stay current. A file is read as fast as it is processed (nothing
dropped) unless ``realtime`` is set, in which case it is played at its own fps like a camera.
Each filled window hop (see :mod:`posehar.stream`) gives one event: time, label (smoothed over
the last few windows, causally), confidence, latency from the capture of the window's newest
frame to its label, processed frames/s and dropped frames. Windows span processed frames, so
when frames are dropped a window covers more wall time than at the source rate.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import VideoError
from .models import get_model
from .pose import PoseSettings, PoseTracker
from .predict import NO_PERSON, UNKNOWN
from .sequence import KeypointSequence
from .stream import StreamingClassifier
from .video import check_video_path

_MIN_PERSON_FRACTION = 0.5


@dataclass
class LiveEvent:
    """One window hop's result (printed as a JSON line)."""

    time_s: float
    frame: int
    label: str
    confidence: float
    latency_ms: float
    fps: float
    frames: int
    dropped: int


class FrameSource:
    """Frames of a camera index, URL or file read by a background thread that keeps only the newest.

    Iterate to get ``(index, frame, capture_time)``. ``read`` counts frames decoded, ``dropped``
    those replaced by a newer frame before being taken; at the end ``read == taken + dropped``.
    """

    def __init__(self, source: str | int, realtime: bool = False, max_frames: int | None = None):
        self.is_file = not (isinstance(source, int) or str(source).isdigit() or "://" in str(source))
        if self.is_file:
            source = str(check_video_path(source))
        elif str(source).isdigit():
            source = int(source)
        self.cap = cv2.VideoCapture(source)
        if not self.cap.isOpened():
            raise VideoError(f"cannot open video source {source!r} (no such camera, unreachable URL or unreadable file)")
        fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 0 < fps <= 1000 else 30.0
        self.paced = realtime or not self.is_file  # drop frames instead of blocking the decoder
        self.max_frames = max_frames
        self.read = self.dropped = self.taken = 0
        self._slot: tuple[int, np.ndarray, float] | None = None
        self._cond = threading.Condition()
        self._done = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="posehar-frames", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start = time.monotonic()
        try:
            while not self._stop.is_set() and (self.max_frames is None or self.read < self.max_frames):
                if self.paced and self.is_file:  # play the file at its own rate
                    delay = start + self.read / self.fps - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                ok, frame = self.cap.read()
                if not ok:
                    break
                with self._cond:
                    if not self.paced:
                        self._cond.wait_for(lambda: self._slot is None or self._stop.is_set())
                    elif self._slot is not None:
                        self.dropped += 1
                    self._slot = (self.read, frame, time.monotonic())
                    self.read += 1
                    self._cond.notify_all()
        finally:
            self.cap.release()
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def __iter__(self) -> Iterator[tuple[int, np.ndarray, float]]:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._slot is not None or self._done)
                if self._slot is None:
                    return
                item, self._slot = self._slot, None
                self.taken += 1
                self._cond.notify_all()
            yield item

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=5)


def _display_available() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_live(source: str | int, model=None, realtime: bool = False, smoothing: int = 3,
             overlay: str | os.PathLike | None = None, show: bool = False, max_frames: int | None = None,
             on_event: Callable[[LiveEvent], None] = lambda e: None) -> dict:
    """Recognise actions live from ``source``; call ``on_event`` per window hop; return a summary dict.

    The summary has frames read/processed/dropped, processed frames/s, window latency (capture of
    a window's newest frame to its label) and per-frame processing time (pose, window, drawing).
    ``overlay`` writes every processed frame with its skeleton and the latest label (.mp4);
    ``show`` opens a window when a display exists (headless otherwise). Stops at the end of a
    file, after ``max_frames`` source frames, on Ctrl-C, or when q/Esc is pressed in the window.
    """
    from .overlay import draw_label, draw_skeleton

    clf = get_model(model)
    hands = clf.feature_config_.hands
    tracker = PoseTracker(PoseSettings(keypoints="holistic" if hands else "body"))
    frames = FrameSource(source, realtime=realtime, max_frames=max_frames)
    streamer: StreamingClassifier | None = None
    recent: deque = deque(maxlen=max(smoothing, 1))
    show = show and _display_available()
    writer, latencies, frame_ms, label_text = None, [], [], ""
    t0 = time.monotonic()
    try:
        for index, frame, captured in frames:
            if streamer is None:
                streamer = StreamingClassifier(clf, frames.fps, (frame.shape[1], frame.shape[0]))
            taken = time.monotonic()
            body, left, right, flags = tracker.process(frame)
            result = streamer.push(index, body, left, right, flags)
            if result is not None:
                recent.append(result)
                event = _event(clf, recent, index, frames, captured, t0, streamer.buffer.count)
                latencies.append(event.latency_ms)
                label_text = f"{event.label} {event.confidence:.0%}"
                on_event(event)
            if overlay is not None or show:
                one = KeypointSequence(pose=body[None], left_hand=left[None] if hands else None,
                                       right_hand=right[None] if hands else None, pose_present=np.array(flags[:1]),
                                       left_present=np.array(flags[1:2]) if hands else None,
                                       right_present=np.array(flags[2:]) if hands else None)
                draw_label(draw_skeleton(frame, one, 0), label_text or "...")
            if overlay is not None:
                if writer is None:
                    Path(overlay).parent.mkdir(parents=True, exist_ok=True)
                    writer = cv2.VideoWriter(str(overlay), cv2.VideoWriter_fourcc(*"mp4v"), frames.fps,
                                             (frame.shape[1], frame.shape[0]))
                writer.write(frame)
            frame_ms.append((time.monotonic() - taken) * 1000)
            if show:
                cv2.imshow("posehar live", frame)
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
    except KeyboardInterrupt:
        pass
    finally:
        frames.close()
        tracker.close()
        if writer is not None:
            writer.release()
        if show:
            cv2.destroyAllWindows()
    wall = time.monotonic() - t0
    return {"event": "summary", "frames_read": frames.read, "frames_processed": frames.taken,
            "dropped": frames.dropped, "windows": len(latencies), "wall_s": round(wall, 3),
            "fps": round(frames.taken / wall, 2) if wall > 0 else 0.0, "source_fps": frames.fps,
            "latency_ms_mean": round(float(np.mean(latencies)), 1) if latencies else None,
            "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
            "frame_ms_mean": round(float(np.mean(frame_ms)), 1) if frame_ms else None,
            "frame_ms_p95": round(float(np.percentile(frame_ms, 95)), 1) if frame_ms else None}


def _event(clf, recent: deque, index: int, frames: FrameSource, captured: float, t0: float, processed: int) -> LiveEvent:
    proba = np.mean([w.proba for w in recent], axis=0)
    last = recent[-1]
    if last.present < _MIN_PERSON_FRACTION:
        label, conf = NO_PERSON, 0.0
    else:
        unknown = clf.is_unknown(proba[None], np.array([last.novelty]))[0]
        label = UNKNOWN if unknown else str(clf.classes_[int(proba.argmax())])
        conf = float(proba.max())
    now = time.monotonic()
    return LiveEvent(time_s=round(index / frames.fps, 3), frame=index, label=label, confidence=round(conf, 4),
                     latency_ms=round((now - captured) * 1000, 1), fps=round(processed / max(now - t0, 1e-9), 2),
                     frames=processed, dropped=frames.dropped)


def event_dict(event: LiveEvent) -> dict:
    return {"event": "window", **asdict(event)}
