"""Overlay video and contact sheet of several people: each skeleton in its own colour, with its id
and current action written above its head."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..overlay import _drawn_row, _row_lookup, draw_label, draw_skeleton, drawn_contact_sheet, write_drawn_video
from .people import person_colour


def draw_people(frame: np.ndarray, people, index: int, lookup: np.ndarray) -> np.ndarray:
    """Draw every person of ``people`` (PersonPrediction or PersonTrack) found at source frame ``index``."""
    row = _drawn_row(lookup, index)
    if row is None or not people:
        return frame
    for person in people:
        seq = person.keypoints
        if not seq.pose_present[row]:
            continue
        text = f"#{person.id}"
        if hasattr(person, "label_at"):
            label, conf = person.label_at(index)
            trusted = label in getattr(person, "probabilities", {})
            text += f" {label} {conf:.0%}" if conf and trusted else f" {label}"
        draw_person(frame, seq, row, person_colour(person.id), text)
    return frame


def draw_person(frame: np.ndarray, seq, row: int, colour: tuple[int, int, int], text: str | None = None) -> np.ndarray:
    """Draw row ``row`` of ``seq`` (one person) in ``colour`` with ``text`` (id, action) above its head, in place."""
    draw_skeleton(frame, seq, row, colour=colour)
    if not text:
        return frame
    h, w = frame.shape[:2]
    scale = max(0.35, min(w, h) / 640)
    thick = max(1, round(scale * 2))
    pts = seq.pose[row]
    vis = pts[:, 3] > 0.3
    pts = pts[vis] if vis.sum() >= 4 else pts
    x, y = int(np.clip(pts[:, 0].min() * w, 0, w - 1)), int(np.clip(pts[:, 1].min() * h, 0, h - 1))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    y = max(y - 4, th + base + 2)
    x = min(x, max(w - tw - 4, 0))
    cv2.rectangle(frame, (x, y - th - base - 2), (x + tw + 4, y + 2), (0, 0, 0), -1)
    cv2.putText(frame, text, (x + 2, y - base), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)
    return frame


def draw_landmarks(frame: np.ndarray, landmarks: np.ndarray, colour: tuple[int, int, int],
                   text: str | None = None) -> np.ndarray:
    """Draw one person's body landmarks ((33, 4), normalised to the frame) with ``text``: the live overlay."""
    from ..sequence import KeypointSequence

    one = KeypointSequence(pose=np.asarray(landmarks, np.float32)[None], pose_present=np.ones(1, bool))
    return draw_person(frame, one, 0, colour, text)


def write_people_overlay(video: str | os.PathLike, people, out: str | os.PathLike,
                         last_frame: int | None = None) -> Path:
    """Write ``out`` (.mp4, mp4v) with each person's skeleton, id and action, at the source's fps and size,
    up to ``last_frame`` (None: the video's end)."""
    lookup = _row_lookup(people[0].keypoints) if people else np.zeros(0, np.int64)

    def draw(frame: np.ndarray, index: int) -> None:
        draw_people(frame, people, index, lookup)
        draw_label(frame, f"{len(people)} people")

    return write_drawn_video(video, out, draw, last_frame)


def people_contact_sheet(video: str | os.PathLike, people, out: str | os.PathLike, n: int = 6,
                         columns: int = 3) -> Path:
    """Save a PNG grid of ``n`` evenly spaced frames with every person drawn."""
    seq = people[0].keypoints if people else None
    lookup = _row_lookup(seq) if seq is not None else np.zeros(0, np.int64)

    def draw(frame: np.ndarray, index: int) -> str:
        draw_people(frame, people, index, lookup)
        return f"frame {index}"

    return drawn_contact_sheet(video, out, seq, draw, n, columns)
