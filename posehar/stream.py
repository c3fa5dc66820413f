"""Streaming prediction: frames -> pose -> ring buffer of one model window -> per-window results.

Memory is bounded by the window, not the video: only the last window of keypoints is kept
(a ring buffer), plus a few numbers per classified window (probabilities, novelty, person
fraction, frame span: ~100 bytes; a 1-hour video at 30 fps has ~7,200 windows).

Windows are cut in source frames with the same rule as the batch path (``window`` rows at the
model's fps, half-window hop, a last window flush with the end), but features are computed per
window: body scale and the carried-over centre of missing frames come from the window rather
than the whole video, so probabilities differ slightly from :func:`posehar.predict.predict_sequence`.
For that reason ``predict_action`` streams only videos longer than ``STREAM_MIN_SECONDS``.

Overlays of streamed videos: when ``keypoints_dir`` is given, per-frame keypoints are written
to ``.npy`` memmaps in a new folder inside it, one per run (~1 KB per frame on disk, paged in and
out by the OS) and returned as a KeypointSequence backed by them, so the overlay is drawn in a
second decode pass with the final smoothed timeline while resident memory stays small.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import frame_ratio
from .layouts import HAND_CHANNELS, HAND_JOINTS, MEDIAPIPE_POSE
from .sequence import KeypointSequence

STREAM_MIN_SECONDS = 300.0


@dataclass
class WindowResult:
    """One classified window: its source frames [start_frame, end_frame) and what the model said."""

    start_frame: int
    end_frame: int
    proba: np.ndarray
    novelty: float
    present: float


class WindowBuffer:
    """Ring buffer holding the keypoints of the last ``size`` frames."""

    def __init__(self, size: int, hands: bool):
        self.size, self.hands, self.count = size, hands, 0
        self.pose = np.zeros((size, MEDIAPIPE_POSE.num_joints, 4), np.float32)
        self.left = np.zeros((size, HAND_JOINTS, HAND_CHANNELS), np.float32)
        self.right = np.zeros_like(self.left)
        self.flags = np.zeros((size, 3), bool)
        self.index = np.zeros(size, np.int64)

    def push(self, index: int, body: np.ndarray, left: np.ndarray, right: np.ndarray, flags) -> None:
        """Store source frame ``index``'s keypoints and flags, overwriting the oldest frame once full."""
        i = self.count % self.size
        self.pose[i], self.left[i], self.right[i], self.flags[i], self.index[i] = body, left, right, flags, index
        self.count += 1

    def sequence(self, fps: float, frame_size: tuple[int, int]) -> KeypointSequence:
        """The buffered frames, oldest first."""
        n = min(self.count, self.size)
        return _stored_sequence(self, (np.arange(self.count - n, self.count)) % self.size, fps, frame_size)


class StreamingClassifier:
    """Feed frames' keypoints one at a time; get a :class:`WindowResult` each time a window hop fills.

    ``fps`` is the rate of the frames fed (source fps / stride). Call :meth:`finish` at the end
    for the last window (flush with the end, or the only window of a short input).
    """

    def __init__(self, clf, fps: float, frame_size: tuple[int, int] = (0, 0)):
        self.clf, self.fps, self.frame_size = clf, fps, frame_size
        ratio = frame_ratio(fps, clf.fps)
        self.window = max(round(clf.window * ratio), 1)
        self.hop = max(self.window // 2, 1)
        self.buffer = WindowBuffer(self.window, clf.feature_config_.hands)
        self._last_end = 0

    def push(self, index: int, body: np.ndarray, left: np.ndarray, right: np.ndarray,
             flags: np.ndarray) -> WindowResult | None:
        """Add source frame ``index`` (body, hands and their presence flags, as ``WindowBuffer`` holds
        them); the result of the window it completes, if it completes one."""
        self.buffer.push(index, body, left, right, flags)
        n = self.buffer.count
        if n >= self.window and (n - self.window) % self.hop == 0:
            return self._classify()
        return None

    def finish(self) -> WindowResult | None:
        """The final window's result, flush with the end; None if nothing was fed or the last push ended there."""
        n = self.buffer.count
        if n == 0 or (n >= self.window and (n - self.window) % self.hop == 0):
            return None
        return self._classify()

    def _classify(self) -> WindowResult:
        seq = self.buffer.sequence(self.fps, self.frame_size)
        present = float(seq.pose_present.mean())
        start, end = int(seq.frame_indices[0]), int(seq.frame_indices[-1]) + 1
        k = len(self.clf.classes_)
        if not seq.pose_present.any():
            return WindowResult(start, end, np.full(k, 1.0 / k), float("inf"), 0.0)
        _, proba, novelty = self.clf.window_proba(seq)  # the classifier runs torch on one thread
        return WindowResult(start, end, proba.mean(0), float(novelty.mean()), present)


class KeypointSink:
    """Per-frame keypoints appended to ``.npy`` memmaps (for a later overlay pass), in a new folder of its
    own inside ``folder``: another run's keypoints, or a file of the caller's, are never written over."""

    def __init__(self, folder: str | os.PathLike, capacity: int, hands: bool):
        Path(folder).mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="posehar-keypoints-", dir=folder))
        self.capacity, self.hands, self.n = max(capacity, 1), hands, 0
        self._open(self.capacity)

    def _open(self, capacity: int) -> None:
        shapes = {"pose": ((MEDIAPIPE_POSE.num_joints, 4), np.float32), "flags": ((3,), bool), "index": ((), np.int64)}
        if self.hands:
            shapes |= {"left": ((HAND_JOINTS, HAND_CHANNELS), np.float32), "right": ((HAND_JOINTS, HAND_CHANNELS), np.float32)}
        old = {k: getattr(self, k) for k in shapes if hasattr(self, k)}
        for name, (shape, dtype) in shapes.items():
            arr = np.lib.format.open_memmap(self.folder / f"{name}.{capacity}.npy", "w+", dtype, (capacity, *shape))
            if name in old:
                arr[: self.n] = old[name][: self.n]
                path = Path(old[name].filename)
                del old[name]
                path.unlink()
            setattr(self, name, arr)
        self.capacity = capacity

    def append(self, index: int, body, left, right, flags) -> None:
        """Append one frame's keypoints and flags (hands ignored without ``hands``), doubling the files when full."""
        if self.n == self.capacity:  # the container's frame count was an underestimate
            self._open(self.capacity * 2)
        self.pose[self.n], self.flags[self.n], self.index[self.n] = body, flags, index
        if self.hands:
            self.left[self.n], self.right[self.n] = left, right
        self.n += 1

    def sequence(self, fps: float, frame_size: tuple[int, int], source: str) -> KeypointSequence:
        """The appended frames as a KeypointSequence backed by the memmaps."""
        return _stored_sequence(self, slice(0, self.n), fps, frame_size, source)  # slices keep the memmaps


def _stored_sequence(store: "WindowBuffer | KeypointSink", rows: np.ndarray | slice, fps: float,
                     frame_size: tuple[int, int], source: str = "") -> KeypointSequence:
    """Rows ``rows`` of a per-frame store (its pose, left, right, flags and index arrays) as a KeypointSequence."""
    hands = store.hands
    return KeypointSequence(
        pose=store.pose[rows], left_hand=store.left[rows] if hands else None,
        right_hand=store.right[rows] if hands else None, pose_present=store.flags[rows, 0],
        left_present=store.flags[rows, 1] if hands else None, right_present=store.flags[rows, 2] if hands else None,
        frame_indices=store.index[rows], fps=fps, frame_size=frame_size, source=source)


def stream_windows(rows: Iterable[tuple], streamer: StreamingClassifier,
                   sink: KeypointSink | None = None) -> Iterator[WindowResult]:
    """Feed pose rows ``(index, body, left, right, flags)`` to ``streamer``, yielding each window result."""
    for row in rows:
        if sink is not None:
            sink.append(*row)
        result = streamer.push(*row)
        if result is not None:
            yield result
    result = streamer.finish()
    if result is not None:
        yield result


@dataclass
class StreamedVideo:
    """What streaming one video produced: its window results and the counts a prediction needs."""

    windows: list[WindowResult]
    frames_read: int
    present_frames: int
    fps: float  # of the frames kept (source fps / stride)
    source_fps: float
    source: str
    keypoints: KeypointSequence | None


def stream_video(video: str | os.PathLike, clf, settings, keypoints_dir: str | os.PathLike | None = None,
                 progress: bool = False) -> StreamedVideo:
    """Pose and classify one video file window by window (``predict_action`` summarises the result).

    ``clf`` is a fitted classifier and ``settings`` the PoseSettings. With ``keypoints_dir``
    the result's ``keypoints`` are memmaps in that folder (keep it until the overlay is drawn);
    without it ``keypoints`` is None.
    """
    from .pose import check_model_available, track_frames
    from .video import VideoReader

    check_model_available(settings.model_complexity)
    reader = VideoReader(video, stride=settings.stride, max_frames=settings.max_frames)
    info = reader.info
    fps = info.fps / settings.stride
    frames: Iterable = reader
    total = reader.expected_frames
    if progress:
        from tqdm.auto import tqdm

        frames = tqdm(reader, total=total, unit="frame", desc=f"pose {Path(video).name}")
    hands = clf.feature_config_.hands
    sink = KeypointSink(keypoints_dir, (total or 1024) + 16, hands) if keypoints_dir is not None else None
    streamer = StreamingClassifier(clf, fps, (info.width, info.height))
    present_frames = 0

    def rows():
        nonlocal present_frames
        for row in track_frames(frames, settings):
            present_frames += bool(row[4][0])
            yield row

    windows = list(stream_windows(rows(), streamer, sink))
    keypoints = sink.sequence(fps, (info.width, info.height), str(video)) if sink is not None else None
    return StreamedVideo(windows, streamer.buffer.count, present_frames, fps, info.fps, str(Path(video)), keypoints)
