"""What a prediction is: its result types, and how a sequence's window results become one answer.

Shared by the video front door (:mod:`posehar.predict`), streaming (:mod:`posehar.stream`) and
multi-person tracking (:mod:`posehar.multipose.people`), none of which it imports.
"""

from __future__ import annotations

import bisect
import json
import os
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .features import frame_ratio
from .classifier import NO_PERSON, UNKNOWN
from .models import get_model, model_label
from .outputs import OutputPathError, json_safe
from .sequence import KeypointSequence

PEOPLE = ("one", "all")  # whom a video is read for: the one person in view, or everyone tracked
MIN_PERSON_FRACTION = 0.5  # a window with a person in fewer of its frames is read as "no person"


def check_people(people: str) -> None:
    """ValueError unless ``people`` is one of :data:`PEOPLE`."""
    if people not in PEOPLE:
        raise ValueError(f"people must be 'one' or 'all', got {people!r}")


@dataclass
class Segment:
    """A stretch of the video with one label."""

    start_s: float
    end_s: float
    start_frame: int
    end_frame: int
    label: str
    confidence: float


@dataclass
class ActionPrediction:
    """What :func:`predict_action` found in one video.

    ``label`` is the most likely class, ``"unknown"`` when the model is not confident (or the
    input is unlike its training data), or ``"no person"`` when no window had a person in at least
    half its frames (as the timeline reads each window). ``confidence`` is the most likely class's
    probability, also when the label is ``"unknown"`` (then it was not trusted).
    ``probabilities`` covers every class of the model and sums to 1 (empty when no person).
    ``timeline`` has one segment per run of equal window labels (one for a video no longer than a window).
    """

    label: str
    confidence: float
    probabilities: dict[str, float]
    top_k: list[tuple[str, float]]
    frames_read: int
    person_fraction: float
    fps: float
    duration_s: float
    source: str
    model: str
    timeline: list[Segment] = field(default_factory=list)
    unknown_because: str = ""  # why the label is "unknown" (not confident enough, or unlike the training data)
    keypoints: KeypointSequence | None = field(default=None, repr=False)

    @property
    def no_person(self) -> bool:
        """Whether no person was found (label ``"no person"``)."""
        return self.label == NO_PERSON

    def to_dict(self) -> dict:
        """The result as plain data (as JSON writes it), without its keypoints."""
        return plain_result(self)

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON; a value that is not a finite number is written as null (valid JSON)."""
        return json.dumps(json_safe(self.to_dict()), indent=indent, allow_nan=False)

    def timeline_csv(self) -> str:
        """The timeline as CSV text, one row per segment."""
        rows = ["start_s,end_s,start_frame,end_frame,label,confidence"]
        rows += [f"{s.start_s:.3f},{s.end_s:.3f},{s.start_frame},{s.end_frame},{s.label},{s.confidence:.4f}"
                 for s in self.timeline]
        return "\n".join(rows) + "\n"

    def label_at(self, frame: int) -> tuple[str, float]:
        """The timeline's label and confidence at a source frame (the overall label if no timeline)."""
        i = bisect.bisect_right([s.start_frame for s in self.timeline], frame) - 1
        if i >= 0 and frame < self.timeline[i].end_frame:
            return self.timeline[i].label, self.timeline[i].confidence
        return self.label, self.confidence


def plain_result(result) -> dict:
    """A result dataclass (an action's, a person's, a pair's) as plain data, ``top_k`` as records, without its
    keypoints: they are left out before ``asdict``, which would deep-copy them (memory-mapped, an hour long)."""
    d = asdict(replace(result, keypoints=None) if getattr(result, "keypoints", None) is not None else result)
    d.pop("keypoints", None)
    d["top_k"] = [{"label": lab, "probability": p} for lab, p in result.top_k]
    return d


def smooth(proba: np.ndarray, width: int = 3, weights: np.ndarray | None = None) -> np.ndarray:
    """Centred moving average of window probabilities over ``width`` windows; with ``weights`` (W,), each
    window counts by its weight (windows without a person: 0), and one whose neighbourhood weighs
    nothing keeps its own probabilities."""
    if len(proba) < 2 or width < 2:
        return proba
    w = np.ones(len(proba)) if weights is None else np.asarray(weights, dtype=float)
    pad = ((width // 2, width - 1 - width // 2), (0, 0))
    kernel = np.ones(width)

    def moving_sum(values: np.ndarray) -> np.ndarray:
        padded = np.pad(values, pad, mode="edge")
        return np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(values.shape[1])], axis=1)

    total, weight = moving_sum(proba * w[:, None]), moving_sum(w[:, None])
    return np.where(weight > 0, total / np.maximum(weight, 1e-12), proba)


def _segments(window_labels: list[str], confidences: np.ndarray, bounds: list[tuple[int, int]], fps: float) -> list[Segment]:
    # Segments are contiguous (each starts where the previous ends), so a window with the label of
    # the last segment extends it even across the frames a stride skipped, and a window that ends
    # inside what is already covered adds nothing (no zero-length segments).
    segments: list[Segment] = []
    for lab, conf, (a, b) in zip(window_labels, confidences, bounds):
        if segments and segments[-1].label == lab:
            last = segments[-1]
            n, added = max(last.end_frame - last.start_frame, 1), max(b - last.end_frame, 0)
            last.confidence = float((last.confidence * n + conf * added) / (n + added))
            last.end_frame = max(last.end_frame, b)
            last.end_s = last.end_frame / fps
        elif not segments or b > segments[-1].end_frame:
            start = segments[-1].end_frame if segments else a
            segments.append(Segment(start / fps, b / fps, start, b, lab, float(conf)))
    return segments


def predict_sequence(seq: KeypointSequence, model=None, top_k: int = 3, smoothing: int = 3) -> ActionPrediction:
    """Classify a keypoint sequence; see :func:`predict_action`."""
    clf = get_model(model)
    if getattr(clf, "feature_config_", None) is not None and clf.feature_config_.hands \
            and seq.left_hand is None and seq.right_hand is None:
        warnings.warn(f"the model reads hands and {seq.source or 'this sequence'} has none: its hands are read as "
                      "not seen (extract holistic keypoints, or use a body model)", UserWarning, stacklevel=2)
    common = dict(frames_read=len(seq), person_fraction=seq.person_fraction, fps=seq.fps,
                  duration_s=len(seq) / seq.fps, source=seq.source, model=model_label(model), keypoints=seq)
    if not seq.pose_present.any():
        return ActionPrediction(NO_PERSON, 0.0, {}, [], **common)
    spans, proba, novelty = clf.window_proba(seq)
    # Window rows are in the model's frame rate; map them back to source frames.
    ratio = frame_ratio(seq.fps, clf.fps)
    # At a source rate below the model's, a window can cover less than one source row: keep every
    # window at least one row long and inside the sequence.
    n = len(seq)
    bounds = []
    for a, b in spans:
        start = min(int(np.floor(a * ratio)), n - 1)
        bounds.append((start, min(max(int(np.ceil(b * ratio)), start + 1), n)))
    present = np.array([seq.pose_present[a:b].mean() if b > a else 0.0 for a, b in bounds])
    frames = [(int(seq.frame_indices[a]), int(seq.frame_indices[b - 1]) + 1) for a, b in bounds]
    return summarise_windows(clf, proba, novelty, present, frames, seq.fps * seq.frame_step,
                             top_k=top_k, smoothing=smoothing, **common)


def summarise_windows(clf, proba: np.ndarray, novelty: np.ndarray, present: np.ndarray,
                      frames: list[tuple[int, int]], frame_fps: float, top_k: int = 3, smoothing: int = 3,
                      **common) -> ActionPrediction:
    """Overall label and smoothed timeline from per-window results (used by the batch and streaming paths).

    ``proba`` (W, K) and ``novelty`` (W,) per window, ``present`` (W,) the fraction of its frames with a
    person, ``frames`` its (start, end) source frames and ``frame_fps`` the source frame rate.
    """
    weights = present >= MIN_PERSON_FRACTION
    if not weights.any():  # as the timeline reads each window: too little of a person to name an action
        return ActionPrediction(NO_PERSON, 0.0, {}, [], **common)
    mean = (proba * weights[:, None]).sum(0) / weights.sum()
    because = clf.unknown_because(mean, float(np.median(novelty[weights])))
    best = int(mean.argmax())
    label = UNKNOWN if because else str(clf.classes_[best])
    order = np.argsort(-mean)[:top_k]
    smoothed = smooth(proba, smoothing, weights)  # a window without a person pulls its neighbours nowhere
    unknown = clf.is_unknown(smoothed, novelty)
    labels = [NO_PERSON if not w else (UNKNOWN if u else str(clf.classes_[p.argmax()]))
              for p, u, w in zip(smoothed, unknown, weights)]
    timeline = _segments(labels, np.where(weights, smoothed.max(1), 0.0), frames, frame_fps)  # nobody: no confidence
    return ActionPrediction(
        label=label, confidence=float(mean[best]),
        probabilities={str(c): float(p) for c, p in zip(clf.classes_, mean)},
        top_k=[(str(clf.classes_[i]), float(mean[i])) for i in order],
        timeline=timeline, unknown_because="; ".join(because), **common)


def save_timeline(result: ActionPrediction, out: str | os.PathLike) -> Path:
    """Write the timeline as .json, .csv or a .png plot (chosen by the file suffix)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()  # as the output check reads it: T.CSV is a CSV file
    if suffix == ".csv":
        out.write_text(result.timeline_csv())
    elif suffix == ".json":
        out.write_text(json.dumps(json_safe([asdict(s) for s in result.timeline]), indent=2, allow_nan=False))
    elif suffix == ".png":
        from .plots import plot_timeline

        plot_timeline(result, out)
    else:
        raise OutputPathError(f"timeline output must end in .json, .csv or .png, got {out.name}")
    return out
