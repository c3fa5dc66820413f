"""Live recognition from a camera, stream URL or file: newest frame only, sliding window, JSON per hop.

A reader thread decodes frames as they come and keeps only the newest one: when pose +
classification is slower than the source, older frames are dropped (and counted) instead of
queueing up, so the labels stay current. A file is read as fast as it is processed (nothing
dropped) unless ``realtime`` is set, in which case it is played at its own fps like a camera.
Each filled window hop (see :mod:`posehar.stream`) gives one event: time, label (smoothed over
the last few windows, causally), confidence, latency from the capture of the window's newest
frame to its label, processed frames/s and dropped frames. Windows span processed frames, so
when frames are dropped a window covers more wall time than at the source rate.

``people="all"`` follows every person (:class:`posehar.multipose.finder.PeopleFinder`) and gives
each event a ``people`` list: each tracked person's own window (see :class:`PeopleWindows`).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .errors import VideoError
from .layouts import HAND_CHANNELS, HAND_JOINTS, MEDIAPIPE_POSE
from .models import get_model
from .pose import PoseSettings, PoseTracker
from .prediction import MIN_PERSON_FRACTION, NO_PERSON, UNKNOWN, check_people
from .sequence import KeypointSequence
from .stream import StreamingClassifier, WindowResult
from .video import MAX_FPS, MIN_FPS, check_video_path


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
    people: list[dict] | None = None   # people="all": each tracked person's id, box, label, probabilities


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
        level = cv2.getLogLevel()
        cv2.setLogLevel(0)  # a missing camera is said once, below, not in OpenCV's WARN/ERROR lines as well
        try:
            self.cap = cv2.VideoCapture(source)
        finally:
            cv2.setLogLevel(level)
        if not self.cap.isOpened():
            raise VideoError(f"cannot open video source {source!r} (no such camera, unreachable URL or unreadable file)")
        fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if MIN_FPS <= fps <= MAX_FPS else 30.0
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
        """Stop the reader thread and wait for it (at most 5 s); it releases the capture as it ends."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=5)


def _display_available() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_live(source: str | int, model=None, realtime: bool = False, smoothing: int = 3,
             overlay: str | os.PathLike | None = None, show: bool = False, max_frames: int | None = None,
             on_event: Callable[[LiveEvent], None] = lambda e: None, people: str = "one") -> dict:
    """Recognise actions live from ``source``; call ``on_event`` per window hop; return a summary dict.

    The summary has frames read/processed/dropped, processed frames/s, window latency (capture of
    a window's newest frame to its label) and per-frame processing time (pose, window, drawing).
    ``overlay`` writes every processed frame with its skeleton and the latest label (.mp4);
    ``show`` opens a window when a display exists (headless otherwise). Stops at the end of a
    file, after ``max_frames`` source frames, on Ctrl-C, or when q/Esc is pressed in the window.
    A source that ends before one window filled gives one event for the frames it had (either mode).

    ``people="all"``: every person is followed and each event carries a ``people`` list (each
    tracked person's id, box, label, confidence, probabilities); the overlay draws each person in
    their own colour with id and label. ``"one"`` (default): the single-person path.
    """
    check_people(people)
    if people == "all":
        return _run_live_people(source, model, realtime, smoothing, overlay, show, max_frames, on_event)
    from .overlay import draw_label, draw_skeleton

    clf = get_model(model)
    hands = clf.feature_config_.hands
    frames, tracker = _open(source, realtime, max_frames, lambda: PoseTracker(
        PoseSettings(keypoints="holistic" if hands else "body")))
    streamer: StreamingClassifier | None = None
    recent: deque = deque(maxlen=max(smoothing, 1))
    show = show and _display_available()
    output = _FrameOutput(overlay, frames.fps, show)
    latencies, frame_ms, label_text = [], [], ""
    t0 = time.monotonic()

    def emit(result: WindowResult, index: int, captured: float) -> LiveEvent:
        """The event of a window ``result`` (smoothed over the recent ones), timed and handed to ``on_event``."""
        recent.append(result)
        event = _event(clf, recent, index, frames, captured, t0, streamer.buffer.count)
        latencies.append(event.latency_ms)
        on_event(event)
        return event

    try:
        for index, frame, captured in frames:
            if streamer is None:
                streamer = StreamingClassifier(clf, frames.fps, (frame.shape[1], frame.shape[0]))
            taken = time.monotonic()
            body, left, right, flags = tracker.process(frame)
            result = streamer.push(index, body, left, right, flags)
            if result is not None:
                event = emit(result, index, captured)
                label_text = f"{event.label} {event.confidence:.0%}"
            if overlay is not None or show:
                one = KeypointSequence(pose=body[None], left_hand=left[None] if hands else None,
                                       right_hand=right[None] if hands else None, pose_present=np.array(flags[:1]),
                                       left_present=np.array(flags[1:2]) if hands else None,
                                       right_present=np.array(flags[2:]) if hands else None)
                draw_label(draw_skeleton(frame, one, 0), label_text or "...")
            output.write(frame)
            frame_ms.append((time.monotonic() - taken) * 1000)
            if output.shown_and_quit(frame):
                break
        short = streamer.finish() if streamer is not None and not latencies else None
        if short is not None:  # a source shorter than one window: its frames as one window, as predict reads it
            emit(short, index, captured)
    except KeyboardInterrupt:
        pass
    finally:
        frames.close()
        tracker.close()
        output.close()
    return _summary(frames, latencies, frame_ms, time.monotonic() - t0)


def _open(source: str | int, realtime: bool, max_frames: int | None,
          start_pose: Callable[[], Any]) -> tuple[FrameSource, Any]:
    """(the frame source, the pose graph ``start_pose`` starts). The source opens first, so one that will not
    open leaves no graph behind, and a graph that will not start leaves no reader thread."""
    frames = FrameSource(source, realtime=realtime, max_frames=max_frames)
    try:
        return frames, start_pose()
    except BaseException:
        frames.close()
        raise


class _FrameOutput:
    """Where live frames go: the ``--overlay`` video (opened at the first frame) and the ``--show`` window."""

    def __init__(self, overlay: str | os.PathLike | None, fps: float, show: bool) -> None:
        self.overlay, self.fps, self.show = overlay, fps, show
        self.writer = None

    def write(self, frame: np.ndarray) -> None:
        """Append ``frame`` to the overlay video, opened (with its folder) at the first frame; no-op without one."""
        if self.overlay is None:
            return
        if self.writer is None:
            Path(self.overlay).parent.mkdir(parents=True, exist_ok=True)
            self.writer = cv2.VideoWriter(str(self.overlay), cv2.VideoWriter_fourcc(*"mp4v"), self.fps,
                                          (frame.shape[1], frame.shape[0]))
            if not self.writer.isOpened():
                self.writer = None
                raise VideoError(f"cannot write the overlay {self.overlay}: OpenCV has no mp4v encoder for it")
        self.writer.write(frame)

    def shown_and_quit(self, frame: np.ndarray) -> bool:
        """Show ``frame`` (with ``--show``); True when the viewer pressed q or Esc."""
        if not self.show:
            return False
        cv2.imshow("posehar live", frame)
        return cv2.waitKey(1) & 0xFF in (ord("q"), 27)

    def close(self) -> None:
        """Release the overlay video, if one was opened, and close the ``--show`` window."""
        if self.writer is not None:
            self.writer.release()
        if self.show:
            cv2.destroyAllWindows()


def _summary(frames: FrameSource, latencies: list, frame_ms: list, wall: float) -> dict:
    return {"event": "summary", "frames_read": frames.read, "frames_processed": frames.taken,
            "dropped": frames.dropped, "windows": len(latencies), "wall_s": round(wall, 3),
            "fps": round(frames.taken / wall, 2) if wall > 0 else 0.0, "source_fps": frames.fps,
            "latency_ms_mean": round(float(np.mean(latencies)), 1) if latencies else None,
            "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
            "frame_ms_mean": round(float(np.mean(frame_ms)), 1) if frame_ms else None,
            "frame_ms_p95": round(float(np.percentile(frame_ms, 95)), 1) if frame_ms else None}


class PeopleWindows:
    """Every tracked person's sliding window, all on one clock of processed frames.

    Each person (a :class:`~posehar.multipose.finder.PeopleFinder` track) gets a
    :class:`~posehar.stream.StreamingClassifier` when first found, back-filled with absent frames
    so that every person's window ends and hops on the same frames; so each hop classifies every
    person's last ``window`` frames at once. :meth:`push` returns ``None`` between hops and at a
    hop the list of people to report, each ``{"id", "box", "label", "confidence",
    "probabilities", "present"}``, ordered by id. A person is reported when found in at least
    half of the window (as the single-person path says ``no person`` below that) and their median
    box there is at least ``min_height`` of the frame height (the tracker's own threshold);
    labels are smoothed over the person's last ``smoothing`` windows. Ids are numbered 1, 2, ...
    in the order people are first reported, so tracks that never qualify use up no id. A person
    absent for a whole window is forgotten (a later find is a new person to the finder anyway).
    """

    def __init__(self, clf, fps: float, frame_size: tuple[int, int], smoothing: int = 3, min_height: float = 0.08):
        self.clf, self.fps, self.frame_size = clf, fps, frame_size
        self.smoothing, self.min_height = max(smoothing, 1), min_height
        clock = StreamingClassifier(clf, fps, frame_size)
        self.window, self.hop = clock.window, clock.hop
        self.count = 0
        self._indices: deque = deque(maxlen=self.window)
        self._streams: dict[int, StreamingClassifier] = {}
        self._recent: dict[int, deque] = {}
        self._boxes: dict[int, deque] = {}
        self.ids: dict[int, int] = {}       # finder track id -> reported id
        self.labels: dict[int, str] = {}    # finder track id -> "label 87%" of its last report
        self._body0 = np.zeros((MEDIAPIPE_POSE.num_joints, 4), np.float32)
        self._hand0 = np.zeros((HAND_JOINTS, HAND_CHANNELS), np.float32)

    def _start(self, track_id: int) -> None:
        stream = StreamingClassifier(self.clf, self.fps, self.frame_size)
        n = len(self._indices)
        stream.buffer.count = self.count - n  # rows before the back-filled ones are never read
        for index in self._indices:
            stream.buffer.push(index, self._body0, self._hand0, self._hand0, (False, False, False))
        self._streams[track_id] = stream
        self._recent[track_id] = deque(maxlen=self.smoothing)
        self._boxes[track_id] = deque(maxlen=self.window)

    def push(self, index: int, found: dict[int, np.ndarray]) -> list[dict] | None:
        """Feed one processed frame's ``{track id: landmarks (33, 4)}``; the people to report at a hop."""
        from .multipose.tracker import landmark_box

        for track_id in found:
            if track_id not in self._streams:
                self._start(track_id)
        results = {}
        for track_id, stream in self._streams.items():
            lm = found.get(track_id)
            if lm is None:
                result = stream.push(index, self._body0, self._hand0, self._hand0, (False, False, False))
            else:
                self._boxes[track_id].append(landmark_box(lm, self.frame_size))
                result = stream.push(index, lm, self._hand0, self._hand0, (True, False, False))
            if result is not None:
                results[track_id] = result
        self._indices.append(index)
        self.count += 1
        if not (self.count >= self.window and (self.count - self.window) % self.hop == 0):
            return None
        return self._report(results)

    def finish(self) -> list[dict] | None:
        """At the end of a source shorter than one window: the people to report over the frames it had
        (None when a window has filled, or no frame came)."""
        if self.count == 0 or self.count >= self.window:
            return None
        return self._report({t: r for t, s in self._streams.items() if (r := s.finish()) is not None})

    def _report(self, results: dict) -> list[dict]:
        """The people of one hop's window results ``{track id: WindowResult}``, ordered by id."""
        people = []
        for track_id, result in results.items():
            if result.present == 0:  # gone for a whole window: forget them
                for table in (self._streams, self._recent, self._boxes, self.labels):
                    table.pop(track_id, None)
                continue
            self._recent[track_id].append(result)
            box = np.median(np.stack(self._boxes[track_id]), axis=0)
            if result.present < MIN_PERSON_FRACTION or box[3] - box[1] < self.min_height * self.frame_size[1]:
                continue
            proba = np.mean([w.proba for w in self._recent[track_id]], axis=0)
            unknown = self.clf.is_unknown(proba[None], np.array([result.novelty]))[0]
            label = UNKNOWN if unknown else str(self.clf.classes_[int(proba.argmax())])
            conf = round(float(proba.max()), 4)
            pid = self.ids.setdefault(track_id, len(self.ids) + 1)
            self.labels[track_id] = f"{label} {conf:.0%}" if not unknown else label
            last = self._boxes[track_id][-1]
            people.append({"id": pid, "box": [int(round(v)) for v in last], "label": label, "confidence": conf,
                           "probabilities": {str(c): round(float(p), 4) for c, p in zip(self.clf.classes_, proba)},
                           "present": round(result.present, 3)})
        return sorted(people, key=lambda p: p["id"])


def _run_live_people(source, model, realtime, smoothing, overlay, show, max_frames, on_event) -> dict:
    """run_live(people="all"): the finder follows everyone; one event per hop with a ``people`` list."""
    from .multipose.draw import draw_landmarks
    from .multipose.finder import PeopleFinder
    from .multipose.people import person_colour
    from .overlay import draw_label

    clf = get_model(model)
    frames, finder = _open(source, realtime, max_frames, PeopleFinder)
    windows: PeopleWindows | None = None
    show = show and _display_available()
    output = _FrameOutput(overlay, frames.fps, show)
    latencies, frame_ms = [], []
    t0 = time.monotonic()

    def emit(reported: list[dict], index: int, captured: float) -> None:
        """The event of one hop's people, timed and handed to ``on_event``."""
        event = _people_event(reported, index, frames, captured, t0, windows.count)
        latencies.append(event.latency_ms)
        on_event(event)

    try:
        for index, frame, captured in frames:
            if windows is None:
                windows = PeopleWindows(clf, frames.fps, (frame.shape[1], frame.shape[0]), smoothing,
                                        finder.config.min_height)
            taken = time.monotonic()
            found = finder.process(frame)
            reported = windows.push(index, found)
            if reported is not None:
                emit(reported, index, captured)
            if overlay is not None or show:
                for track_id, lm in found.items():
                    pid = windows.ids.get(track_id)
                    if pid is None:  # not reported yet: a grey skeleton, no id
                        draw_landmarks(frame, lm, (160, 160, 160))
                    else:
                        draw_landmarks(frame, lm, person_colour(pid), f"#{pid} {windows.labels.get(track_id, '...')}")
                draw_label(frame, f"{sum(t in windows.ids for t in found)} people")
            output.write(frame)
            frame_ms.append((time.monotonic() - taken) * 1000)
            if output.shown_and_quit(frame):
                break
        short = windows.finish() if windows is not None else None
        if short is not None:  # a source shorter than one window: its frames as one window
            emit(short, index, captured)
    except KeyboardInterrupt:
        pass
    finally:
        frames.close()
        finder.close()
        output.close()
    summary = _summary(frames, latencies, frame_ms, time.monotonic() - t0)
    summary["people"] = len(windows.ids) if windows is not None else 0
    return summary


def _people_event(reported: list[dict], index: int, frames: FrameSource, captured: float, t0: float,
                  processed: int) -> LiveEvent:
    """The event of one hop of every person's windows: top-level label and confidence of the person most present."""
    main = max(reported, key=lambda p: (p["present"], -p["id"])) if reported else None
    now = time.monotonic()
    return LiveEvent(time_s=round(index / frames.fps, 3), frame=index, label=main["label"] if main else NO_PERSON,
                     confidence=main["confidence"] if main else 0.0, latency_ms=round((now - captured) * 1000, 1),
                     fps=round(processed / max(now - t0, 1e-9), 2), frames=processed, dropped=frames.dropped,
                     people=reported)


def _event(clf, recent: deque, index: int, frames: FrameSource, captured: float, t0: float, processed: int) -> LiveEvent:
    proba = np.mean([w.proba for w in recent], axis=0)
    last = recent[-1]
    if last.present < MIN_PERSON_FRACTION:
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
    """``event`` as its JSON-line dict (``"event": "window"``), without ``people`` in single-person mode."""
    d = {"event": "window", **asdict(event)}
    if d["people"] is None:  # single-person mode: today's keys
        del d["people"]
    return d
