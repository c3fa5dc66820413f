"""Pose stage: MediaPipe BlazePose (body) or Holistic (body + both hands) in video mode.

Only ``model_complexity=1`` ships in the mediapipe 0.10.21 wheel; 0 and 2 would be
downloaded at run time, which cannot work offline, so asking for a model whose file is
not installed raises PoseModelError instead of attempting a download.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Literal

import cv2
import numpy as np

from .errors import NoPersonError, PoseModelError
from .layouts import HAND_CHANNELS, HAND_JOINTS, MEDIAPIPE_POSE
from .native_log import NativeLogFilter
from .sequence import KeypointSequence
from .video import VideoReader

KeypointSet = Literal["holistic", "body"]
KEYPOINT_SETS: tuple[str, ...] = ("holistic", "body")
_LANDMARK_FILES = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}


@dataclass(frozen=True)
class PoseSettings:
    """Everything that changes what the pose stage outputs (part of the extraction cache key)."""

    keypoints: KeypointSet = "holistic"
    model_complexity: int = 1
    stride: int = 1
    max_frames: int | None = None
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def as_dict(self) -> dict:
        """The settings as a plain dict."""
        return dict(self.__dict__)


def check_model_available(model_complexity: int) -> None:
    """Raise PoseModelError unless the BlazePose landmark model file is installed locally."""
    import mediapipe

    if model_complexity not in _LANDMARK_FILES:
        raise PoseModelError(f"model_complexity must be 0, 1 or 2, got {model_complexity}")
    path = Path(mediapipe.__file__).parent / "modules" / "pose_landmark" / _LANDMARK_FILES[model_complexity]
    if not path.is_file():
        raise PoseModelError(
            f"model_complexity={model_complexity} needs {path.name}, which the installed mediapipe "
            f"{mediapipe.__version__} wheel does not ship and which cannot be downloaded offline; "
            "use model_complexity=1 (the full model, shipped in mediapipe==0.10.21)"
        )


class PoseTracker:
    """Frame-by-frame MediaPipe tracker; use as a context manager or call :meth:`close`.

    ``process(frame_bgr)`` returns (pose (33, 4), left (21, 3), right (21, 3), present flags).
    """

    def __init__(self, settings: PoseSettings = PoseSettings()):
        if settings.keypoints not in KEYPOINT_SETS:
            raise PoseModelError(f"keypoints must be one of {KEYPOINT_SETS}, got {settings.keypoints!r}")
        check_model_available(settings.model_complexity)
        from mediapipe.python.solutions import holistic, pose

        self.settings = settings
        self._log_filter = NativeLogFilter()
        common = dict(
            static_image_mode=False,
            model_complexity=settings.model_complexity,
            min_detection_confidence=settings.min_detection_confidence,
            min_tracking_confidence=settings.min_tracking_confidence,
        )
        with self._log_filter.quiet():
            self._graph = (holistic.Holistic if settings.keypoints == "holistic" else pose.Pose)(**common)
            # The graph opens its models in its own threads after the constructor returns; their log
            # lines (XNNPACK, feedback manager) would reach the terminal before the first frame. Wait
            # for them here, while they are filtered (0.1 s, which the first frame would spend anyway).
            wait = getattr(getattr(self._graph, "_graph", None), "wait_until_idle", None)
            if wait is not None:
                wait()

    def process(self, frame_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[bool, bool, bool]]:
        """One BGR frame's pose (33, 4), left (21, 3), right (21, 3) (zeros where absent) and found flags."""
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        with self._log_filter.quiet():
            result = self._graph.process(rgb)
        body = np.zeros((MEDIAPIPE_POSE.num_joints, 4), np.float32)
        left = np.zeros((HAND_JOINTS, HAND_CHANNELS), np.float32)
        right = np.zeros((HAND_JOINTS, HAND_CHANNELS), np.float32)
        has_body = result.pose_landmarks is not None
        if has_body:
            body[:] = [(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark]
        has_left = getattr(result, "left_hand_landmarks", None) is not None
        if has_left:
            left[:] = [(p.x, p.y, p.z) for p in result.left_hand_landmarks.landmark]
        has_right = getattr(result, "right_hand_landmarks", None) is not None
        if has_right:
            right[:] = [(p.x, p.y, p.z) for p in result.right_hand_landmarks.landmark]
        return body, left, right, (has_body, has_left, has_right)

    def close(self) -> None:
        """Close the MediaPipe graph and the log filter."""
        self._graph.close()
        self._log_filter.close()

    def __enter__(self) -> "PoseTracker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# One tracked frame: its index, pose, left hand, right hand, and whether each of the three was found.
TrackedFrame = tuple[int, np.ndarray, np.ndarray, np.ndarray, tuple[bool, bool, bool]]


def track_frames(frames: Iterable[tuple[int, np.ndarray]],
                 settings: PoseSettings = PoseSettings()) -> Iterator[TrackedFrame]:
    """Run the tracker over ``(index, frame)`` pairs, yielding keypoints one frame at a time."""
    with PoseTracker(settings) as tracker:
        for index, frame in frames:
            yield (index, *tracker.process(frame))


def extract_keypoints(
    video: str | os.PathLike,
    settings: PoseSettings = PoseSettings(),
    progress: bool = False,
) -> KeypointSequence:
    """Run the pose stage over a whole video file and return its KeypointSequence.

    The result covers the frames kept by ``settings.stride`` / ``settings.max_frames``;
    frames where nobody was found are zeros with their presence flag False.
    """
    check_model_available(settings.model_complexity)  # fail before any progress bar or decoding
    reader = VideoReader(video, stride=settings.stride, max_frames=settings.max_frames)
    frames: Iterable = reader
    if progress:
        from tqdm.auto import tqdm

        frames = tqdm(reader, total=reader.expected_frames, unit="frame", desc=f"pose {Path(video).name}")
    rows = list(track_frames(frames, settings))
    return sequence_from_rows(rows, settings, reader.info.fps / settings.stride,
                              (reader.info.width, reader.info.height), str(Path(video)))


def sequence_from_rows(rows: list[tuple], settings: PoseSettings, fps: float, frame_size: tuple[int, int],
                       source: str) -> KeypointSequence:
    """The KeypointSequence of :func:`track_frames`' rows (index, body, left hand, right hand, flags), at
    ``fps`` (the source's after the stride), its hands only with holistic ``settings``."""
    idx, body, left, right, flags = zip(*rows)
    flags = np.asarray(flags, dtype=bool)
    hands = settings.keypoints == "holistic"
    return KeypointSequence(
        pose=np.stack(body),
        left_hand=np.stack(left) if hands else None,
        right_hand=np.stack(right) if hands else None,
        pose_present=flags[:, 0],
        left_present=flags[:, 1] if hands else None,
        right_present=flags[:, 2] if hands else None,
        frame_indices=np.asarray(idx),
        fps=fps,
        frame_size=frame_size,
        source=source,
        meta={"pose_settings": settings.as_dict()},
    )


def require_person(seq: KeypointSequence) -> KeypointSequence:
    """Return ``seq`` or raise NoPersonError if no frame has a detected body."""
    if not seq.pose_present.any():
        raise NoPersonError(f"no person found in any of the {len(seq)} frames of {seq.source}")
    return seq
