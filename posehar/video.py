"""Stream frames from a video file with OpenCV, never holding the whole video in memory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from .errors import VideoError

# FFmpeg's own log lines ("moov atom not found", ...) would clutter stderr; posehar reports
# undecodable files as one VideoError instead. Set OPENCV_FFMPEG_LOGLEVEL to see them.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
# A file that decodes fewer than this fraction of the frames its header announces is truncated.
_TRUNCATED_FRACTION = 0.9
# What a container may announce before posehar refuses it (a garbled header, e.g. an mp4 time
# scale of 0, reads as an fps of 0.002 or a frame count in the billions): 0.1-1000 fps, at most
# 10 million frames (over 90 hours at 30 fps), at most 16384 pixels a side.
MIN_FPS, MAX_FPS = 0.1, 1000.0  # frame rates posehar reads (videos, cameras, model bundles)
_MAX_FRAMES, _MAX_SIDE = 10_000_000, 16384


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video (frame_count may be an estimate)."""

    path: str
    fps: float
    frame_count: int
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        """Length in seconds from the container's frame count and fps (0 when fps is unknown)."""
        return self.frame_count / self.fps if self.fps > 0 else 0.0


def check_video_path(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path, or raise VideoError if it cannot be a readable video file."""
    p = Path(path)
    if not p.exists():
        raise VideoError(f"video not found: {p} (check the path)")
    if p.is_dir():
        raise VideoError(f"{p} is a directory, not a video file (pass a file such as clip.mp4)")
    if not p.is_file():
        raise VideoError(f"{p} is not a regular file (a device, FIFO or socket); pass a video file such as clip.mp4")
    if p.stat().st_size == 0:
        raise VideoError(f"video file is empty (0 bytes): {p}")
    if cv2.haveImageReader(str(p)):
        raise VideoError(f"{p} is a still image, not a video (posehar needs a clip with motion; "
                         "pass a video file such as clip.mp4)")
    return p


def _open_capture(p: Path) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        cap.release()
        raise VideoError(f"cannot decode {p}: not a video OpenCV can read (corrupt file or unsupported format)")
    return cap


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Read a video's fps, frame count and size without decoding it all."""
    p = check_video_path(path)
    cap = _open_capture(p)
    try:
        return _info(p, cap)
    finally:
        cap.release()


def _info(p: Path, cap: cv2.VideoCapture) -> VideoInfo:
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if fps == 0:  # not announced: assume a camera's 30
        fps = 30.0
    if not np.isfinite(fps) or not MIN_FPS <= fps <= MAX_FPS:
        raise VideoError(f"{p}: its header announces {fps:g} frames per second (posehar reads {MIN_FPS:g}-"
                         f"{MAX_FPS:g}); the file is damaged or not a normal video")
    count = float(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    if not np.isfinite(count) or count > _MAX_FRAMES:
        raise VideoError(f"{p}: its header announces {count:g} frames (posehar reads at most {_MAX_FRAMES:,}); "
                         "the file is damaged or not a normal video")
    width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    if max(width, height) > _MAX_SIDE:
        raise VideoError(f"{p}: frames of {width}x{height} pixels are larger than posehar reads ({_MAX_SIDE} a side)")
    return VideoInfo(path=str(p), fps=fps, frame_count=max(int(count), 0), width=width, height=height)


class VideoReader:
    """Iterate over a video's frames as ``(index, BGR uint8 array)``.

    Frames are decoded one at a time. ``stride`` keeps every n-th frame (the others are
    grabbed but not decoded), ``max_frames`` stops after that many kept frames.
    Raises VideoError if the file decodes no frame at all, or (at the end) if decoding stops
    well before the frame count in the file's header (a truncated or corrupt file).
    """

    def __init__(self, path: str | os.PathLike, stride: int = 1, max_frames: int | None = None):
        if stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        if max_frames is not None and max_frames < 1:
            raise ValueError(f"max_frames must be >= 1 or None, got {max_frames}")
        self.path = check_video_path(path)
        self.stride = stride
        self.max_frames = max_frames
        cap = _open_capture(self.path)
        self.info = _info(self.path, cap)
        cap.release()
        self.frames_read = 0

    @property
    def expected_frames(self) -> int | None:
        """How many frames iterating should yield: the container's frame count (maybe an estimate) after
        ``stride`` and ``max_frames``; None where the container gives no count and nothing caps it."""
        total = -(-self.info.frame_count // self.stride) or None
        return min(total or self.max_frames, self.max_frames) if self.max_frames else total

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        cap = _open_capture(self.path)
        kept = 0
        index = 0
        self.frames_read = 0
        try:
            while self.max_frames is None or kept < self.max_frames:
                if index % self.stride:
                    if not cap.grab():
                        break
                    index += 1
                    continue
                ok, frame = cap.read()
                if not ok or frame is None:
                    break
                self.frames_read = kept = kept + 1
                yield index, frame
                index += 1
        finally:
            cap.release()
        if kept == 0:
            raise VideoError(f"{self.path} decodes no frames (empty, truncated or corrupt video)")
        expected = self.info.frame_count
        capped = self.max_frames is not None and kept >= self.max_frames
        if not capped and expected > 1 and index < _TRUNCATED_FRACTION * expected:
            raise VideoError(f"{self.path} is truncated or corrupt: its header announces {expected} frames "
                             f"but decoding stopped after {index}")
