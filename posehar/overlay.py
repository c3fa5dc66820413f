"""Draw body and hand skeletons plus the predicted action on video frames."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from .errors import VideoError
from .layouts import HAND_EDGES, get_layout
from .sequence import KeypointSequence
from .video import VideoInfo, VideoReader

BODY_COLOUR = (0, 255, 0)      # BGR
LEFT_COLOUR = (255, 128, 0)
RIGHT_COLOUR = (0, 128, 255)
TEXT_COLOUR = (255, 255, 255)


def _pixels(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return np.stack([points[:, 0] * w, points[:, 1] * h], axis=1).round().astype(np.int32)


def draw_skeleton(frame: np.ndarray, seq: KeypointSequence, row: int,
                  colour: tuple[int, int, int] = BODY_COLOUR) -> np.ndarray:
    """Draw row ``row`` of ``seq`` (MediaPipe layout, normalised coordinates) onto ``frame`` in place.

    ``colour`` (BGR) is the body's colour (multi-person overlays give each person their own).
    """
    h, w = frame.shape[:2]
    thick = max(1, round(min(w, h) / 240))
    lay = get_layout(seq.layout)
    if seq.pose_present[row] and lay.channels == 4:
        pts = _pixels(seq.pose[row], (w, h))
        vis = seq.pose[row, :, 3] > 0.3
        for a, b in lay.edges:
            if vis[a] and vis[b]:
                cv2.line(frame, tuple(pts[a]), tuple(pts[b]), colour, thick, cv2.LINE_AA)
        for p, v in zip(pts, vis):
            if v:
                cv2.circle(frame, tuple(p), thick + 1, colour, -1, cv2.LINE_AA)
    for hand, present, colour in ((seq.left_hand, seq.left_present, LEFT_COLOUR),
                                  (seq.right_hand, seq.right_present, RIGHT_COLOUR)):
        if hand is None or not present[row]:
            continue
        pts = _pixels(hand[row], (w, h))
        for a, b in HAND_EDGES:
            cv2.line(frame, tuple(pts[a]), tuple(pts[b]), colour, max(1, thick - 1), cv2.LINE_AA)
    return frame


def draw_label(frame: np.ndarray, text: str) -> np.ndarray:
    """Write ``text`` in a dark box at the top-left of ``frame`` (in place)."""
    h, w = frame.shape[:2]
    scale = max(0.4, min(w, h) / 480)
    thick = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    cv2.rectangle(frame, (0, 0), (tw + 12, th + base + 12), (0, 0, 0), -1)
    cv2.putText(frame, text, (6, th + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT_COLOUR, thick, cv2.LINE_AA)
    return frame


def _row_lookup(seq: KeypointSequence) -> np.ndarray:
    """For every source frame up to the one after ``seq``'s last row (its stride on), the nearest earlier
    row of ``seq``; -1 before its first row. A frame beyond the lookup was never read for keypoints."""
    if not len(seq):
        return np.zeros(0, dtype=np.int64)
    n = int(seq.frame_indices[-1]) + seq.frame_step
    lookup = np.full(n, -1, dtype=np.int64)
    lookup[seq.frame_indices] = np.arange(len(seq))
    return np.maximum.accumulate(lookup)  # rows rise with their frames


def _drawn_row(lookup: np.ndarray, index: int) -> int | None:
    """The row whose skeleton frame ``index`` shows; None where no keypoints were read for it."""
    return int(lookup[index]) if index < len(lookup) and lookup[index] >= 0 else None


def last_frame_read(seq: KeypointSequence) -> int | None:
    """The source frame of ``seq``'s last row (where an overlay of a capped read stops); None when empty."""
    return int(seq.frame_indices[-1]) if len(seq) else None


def keypoints_mismatch(seq: KeypointSequence, video: VideoInfo) -> str:
    """What shows that keypoints were not taken from ``video`` (frame rate, frame size, frames
    beyond its end), or "" where nothing does."""
    problems = []
    if seq.fps > 0 and video.fps > 0 and abs(seq.fps - video.fps) > 0.01 * video.fps:
        problems.append(f"is at {seq.fps:g} fps, the video at {video.fps:g}")
    w, h = seq.frame_size
    if w > 0 and h > 0 and (w, h) != (video.width, video.height):
        problems.append(f"was taken from {w}x{h} frames, the video's are {video.width}x{video.height}")
    if len(seq) and video.frame_count > 0 and int(seq.frame_indices[-1]) >= video.frame_count:
        problems.append(f"runs to frame {int(seq.frame_indices[-1])}, the video has {video.frame_count}")
    return "; ".join(problems)


def write_overlay(video: str | os.PathLike, seq: KeypointSequence, out: str | os.PathLike,
                  label_at=None, last_frame: int | None = None) -> Path:
    """Write ``out`` (.mp4, codec mp4v) with skeletons and labels, at the source's fps and size.

    ``label_at(frame_index) -> (label, confidence)`` gives the text of each frame (e.g.
    ``ActionPrediction.label_at``); without it only skeletons are drawn. Every source frame up to
    ``last_frame`` (None: the video's end) is written; frames between keypoint rows keep the
    skeleton of the row before, and frames beyond the keypoints (a capped read) are left as they are.
    """
    lookup = _row_lookup(seq)

    def draw(frame: np.ndarray, index: int) -> None:
        row = _drawn_row(lookup, index)
        if row is None:
            return
        draw_skeleton(frame, seq, row)
        if label_at is not None:
            label, conf = label_at(index)
            draw_label(frame, f"{label} {conf:.0%}" if conf else label)

    return write_drawn_video(video, out, draw, last_frame)


def write_drawn_video(video: str | os.PathLike, out: str | os.PathLike,
                      draw: Callable[[np.ndarray, int], None], last_frame: int | None = None) -> Path:
    """Write ``out`` (.mp4, codec mp4v): every frame of ``video`` up to ``last_frame`` (None: all) after
    ``draw(frame, index)`` drew on it, at the source's fps and size; atomically (a temp file, then a
    rename; none left on failure)."""
    reader = VideoReader(video, max_frames=None if last_frame is None else last_frame + 1)
    out = Path(out)
    if out.suffix.lower() != ".mp4":
        raise VideoError(f"overlay output must be an .mp4 file, got {out.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.mp4")
    writer = None
    try:
        for index, frame in reader:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), reader.info.fps, (w, h))
                if not writer.isOpened():
                    raise VideoError(f"cannot write {out}: OpenCV has no mp4v encoder here")
            draw(frame, index)
            writer.write(frame)
        if writer is not None:
            writer.release()
            writer = None
        os.replace(tmp, out)
    except BaseException as exc:  # no hidden temp file is left, nor named (a full disk, no permission, Ctrl-C)
        if writer is not None:
            writer.release()
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and str(tmp) in (exc.filename, exc.filename2):
            raise OSError(exc.errno, exc.strerror, str(out)) from None
        raise
    return out


def contact_sheet(video: str | os.PathLike, seq: KeypointSequence, out: str | os.PathLike,
                  n: int = 6, label_at=None, columns: int = 3) -> Path:
    """Save a PNG grid of ``n`` evenly spaced frames with skeletons drawn, for a quick look."""
    lookup = _row_lookup(seq)

    def draw(frame: np.ndarray, index: int) -> str:
        row = _drawn_row(lookup, index)
        text = f"frame {index}"
        if row is None:
            return text + "  (not read)"
        draw_skeleton(frame, seq, row)
        if label_at is not None:
            label, conf = label_at(index)
            text += f"  {label} {conf:.0%}" if conf else f"  {label}"
        return text

    return drawn_contact_sheet(video, out, seq, draw, n, columns)


def drawn_contact_sheet(video: str | os.PathLike, out: str | os.PathLike, seq: KeypointSequence | None,
                        draw: Callable[[np.ndarray, int], str], n: int = 6, columns: int = 3) -> Path:
    """Save a PNG grid of ``n`` frames spread evenly over ``seq``'s frames (the whole video without one),
    each after ``draw(frame, index)`` drew on it, captioned with the text it returns."""
    reader = VideoReader(video)
    total = int(seq.frame_indices[-1]) + 1 if seq is not None and len(seq) else reader.info.frame_count
    wanted = set(np.linspace(0, max(total - 1, 0), num=min(n, max(total, 1))).round().astype(int).tolist())
    tiles = []
    for index, frame in reader:
        if index in wanted:
            tiles.append(draw_label(frame, draw(frame, index)))
        if index >= max(wanted):
            break
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)]
    sheet = np.vstack(rows)
    scale = min(1.0, 1920 / sheet.shape[1])
    if scale < 1.0:
        sheet = cv2.resize(sheet, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), sheet):
        raise VideoError(f"cannot write contact sheet {out}")
    return out
