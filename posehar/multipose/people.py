"""Every tracked person's keypoints and action: ``predict_action(video, people="all")``.

:func:`extract_people` runs the :class:`~.finder.PeopleFinder` over a video, joins track fragments
(:func:`~.tracker.stitch`), drops tracks that are too short or too small (also relative to the
tallest track: :func:`~.tracker.drop_background`), and returns one
body-only :class:`~posehar.sequence.KeypointSequence` per person over every kept frame (layout
``mediapipe_pose``, ``pose_present`` False where that person was not found, hands None).
:func:`predict_people` classifies each person's sequence exactly as the single-person path does
(:func:`posehar.predict.predict_sequence`), so any body-keypoint model works. A model that reads
hands gets each person with both hands absent (Holistic is single-person); such a model was trained
with hands and will mostly answer ``unknown`` or worse, so prefer a body-only model here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import NoPersonError
from ..layouts import HAND_CHANNELS, HAND_JOINTS, MEDIAPIPE_POSE
from ..pairs import PAIR_LAYOUT, pair_from_sequences
from ..prediction import ActionPrediction, Segment, plain_result, predict_sequence
from ..sequence import KeypointSequence
from ..video import VideoReader, check_video_path
from .tracker import TrackerConfig, drop_background, keep_track, stitch

PERSON_COLOURS = [(0, 255, 0), (255, 128, 0), (0, 128, 255), (255, 0, 255), (0, 255, 255), (255, 255, 0),
                  (128, 0, 255), (0, 0, 255)]  # BGR, one per person (cycled)


def person_colour(person_id: int) -> tuple[int, int, int]:
    """The BGR drawing colour of person ``person_id`` (1-based; the palette cycles)."""
    return PERSON_COLOURS[(person_id - 1) % len(PERSON_COLOURS)]


@dataclass
class PersonTrack:
    """One tracked person: id, how many kept frames they were found in, median box, keypoints."""

    id: int
    frames: int
    box: list[int]                        # median (x0, y0, x1, y1) in pixels
    keypoints: KeypointSequence = field(repr=False)


@dataclass
class PeopleKeypoints:
    """What :func:`extract_people` found: the people kept, and the finder's counters."""

    people: list[PersonTrack]
    frames_read: int
    fps: float
    frame_size: tuple[int, int]
    source: str
    stats: dict
    dropped: int = 0                      # tracks dropped as too short or too small
    frame_indices: np.ndarray | None = None  # the source frame of each row read (None: 0, 1, 2, ...)


def extract_people(video: str | os.PathLike, stride: int = 1, max_frames: int | None = None,
                   config: TrackerConfig = TrackerConfig(), progress: bool = False) -> PeopleKeypoints:
    """Find, track and return every person of ``video`` (see the module docstring)."""
    from .finder import PeopleFinder

    check_video_path(video)
    reader = VideoReader(video, stride=stride, max_frames=max_frames)
    frames: Iterable = reader
    if progress:
        from tqdm.auto import tqdm

        frames = tqdm(reader, total=reader.expected_frames, unit="frame", desc=f"people {Path(video).name}")
    indices: list[int] = []
    with PeopleFinder(config) as finder:
        for index, frame in frames:
            finder.process(frame)
            indices.append(index)
        tracks, stats = finder.tracks, dict(finder.stats)
    info = reader.info
    fps = info.fps / stride
    size = (info.width, info.height)
    tracks = stitch(tracks, config)
    kept = drop_background([tr for tr in tracks if keep_track(tr, config, fps, info.height)], config)
    n = len(indices)
    people = []
    for new_id, tr in enumerate(sorted(kept, key=lambda tr: (min(tr.rows), tr.id)), start=1):
        pose = np.zeros((n, MEDIAPIPE_POSE.num_joints, 4), np.float32)
        present = np.zeros(n, bool)
        rows = np.fromiter(tr.rows, dtype=np.int64)
        pose[rows] = np.stack([tr.rows[r] for r in rows])
        present[rows] = True
        seq = KeypointSequence(pose=pose, pose_present=present, frame_indices=np.asarray(indices), fps=fps,
                               frame_size=size, source=str(Path(video)),
                               meta={"person_id": new_id, "pose_settings": {"keypoints": "body", "people": "all",
                                                                            "stride": stride, "max_frames": max_frames}})
        people.append(PersonTrack(new_id, tr.frames, [int(round(v)) for v in tr.median_box()], seq))
    return PeopleKeypoints(people, n, fps, size, str(Path(video)), stats, dropped=len(tracks) - len(kept),
                           frame_indices=np.asarray(indices, dtype=np.int64))


@dataclass
class PersonPrediction:
    """One person's action: the JSON entry of ``"people"``."""

    id: int
    frames: int
    box: list[int]
    label: str
    confidence: float
    probabilities: dict[str, float]
    top_k: list[tuple[str, float]]
    person_fraction: float
    timeline: list[Segment] = field(default_factory=list)
    keypoints: KeypointSequence | None = field(default=None, repr=False)

    def label_at(self, frame: int) -> tuple[str, float]:
        """The timeline's label and confidence at a source frame (the person's overall label if no timeline)."""
        return ActionPrediction.label_at(self, frame)  # same timeline lookup

    def to_dict(self) -> dict:
        """The person's result as plain data (as JSON writes it), without its keypoints."""
        return plain_result(self)


@dataclass
class PeoplePrediction(ActionPrediction):
    """:class:`~posehar.predict.ActionPrediction` of a video with two or more people.

    The top-level fields are those of the person found in the most frames (so code that reads one
    label keeps working); ``people`` has every person's result, ordered by id.
    """

    people: list[PersonPrediction] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The result as plain data, with every person's entry under ``people``."""
        d = plain_result(replace(self, people=[]))  # each person's own to_dict leaves out their keypoints
        d["people"] = [p.to_dict() for p in self.people]
        return d


def _with_absent_hands(seq: KeypointSequence) -> KeypointSequence:
    n = len(seq)
    zeros = np.zeros((n, HAND_JOINTS, HAND_CHANNELS), np.float32)
    absent = np.zeros(n, bool)
    return KeypointSequence(pose=seq.pose, left_hand=zeros, right_hand=zeros.copy(), pose_present=seq.pose_present,
                            left_present=absent, right_present=absent.copy(), frame_indices=seq.frame_indices,
                            fps=seq.fps, frame_size=seq.frame_size, source=seq.source, meta=seq.meta)


def predict_people(video: str | os.PathLike, clf, top_k: int = 3, stride: int = 1, max_frames: int | None = None,
                   smoothing: int = 3, progress: bool = False,
                   config: TrackerConfig = TrackerConfig()) -> "PeoplePrediction":
    """Each tracked person's action. ``clf`` is a fitted classifier (``posehar.models.get_model``).

    Always a :class:`PeoplePrediction`, whose ``people`` holds every tracked person (none, one or
    more); its top-level fields are those of the person found in the most frames, or the usual
    ``"no person"`` result when nobody is tracked. A pair model gives a :class:`PairPrediction`.
    """
    found = extract_people(video, stride=stride, max_frames=max_frames, config=config, progress=progress)
    if clf.feature_config_.layout == PAIR_LAYOUT:
        return predict_pair(found, clf, top_k=top_k, smoothing=smoothing)
    hands = clf.feature_config_.hands
    results = []
    for person in found.people:
        seq = _with_absent_hands(person.keypoints) if hands else person.keypoints
        res = predict_sequence(seq, clf, top_k=top_k, smoothing=smoothing)
        res.keypoints = person.keypoints
        results.append((person, res))
    people = [PersonPrediction(p.id, p.frames, p.box, r.label, r.confidence, r.probabilities, r.top_k,
                               r.person_fraction, r.timeline, keypoints=p.keypoints) for p, r in results]
    if results:
        main = max(results, key=lambda pr: pr[0].frames)[1]
    else:  # nobody tracked: the usual "no person" answer over the frames read
        empty = KeypointSequence(pose=np.zeros((found.frames_read, MEDIAPIPE_POSE.num_joints, 4), np.float32),
                                 pose_present=np.zeros(found.frames_read, bool), frame_indices=found.frame_indices,
                                 fps=found.fps, frame_size=found.frame_size, source=found.source)
        main = predict_sequence(empty, clf, top_k=top_k, smoothing=smoothing)
    fields = {k: getattr(main, k) for k in ActionPrediction.__dataclass_fields__}
    if people:
        fields["person_fraction"] = float(np.mean(np.any([p.keypoints.pose_present for p in people], axis=0)))
    return PeoplePrediction(**fields, people=people)


@dataclass
class PairResult:
    """A pair model's answer for two tracked people: the JSON entry of ``"pairs"``."""

    ids: list[int]
    frames: int                           # kept frames in which both were found
    label: str
    confidence: float
    probabilities: dict[str, float]
    top_k: list[tuple[str, float]]
    timeline: list[Segment] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The pair's result as plain data (as JSON writes it)."""
        return plain_result(self)


@dataclass
class PairPrediction(PeoplePrediction):
    """A pair model's :class:`PeoplePrediction`: the top-level fields are the pair's (``person_fraction``:
    the share of frames with both in view), ``people`` the pair's two people, each with the pair's label,
    and ``pairs`` the pair's result."""

    pairs: list[PairResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The result as plain data, with ``people`` and the pair's entry under ``pairs``."""
        d = super().to_dict()
        d["pairs"] = [p.to_dict() for p in self.pairs]
        return d


def longest_together(people: list[PersonTrack]) -> tuple[PersonTrack, PersonTrack, int]:
    """The two tracks found together in the most frames (lower ids first on ties), and that count.

    Raises NoPersonError when fewer than two people were tracked, or no two were ever in view together.
    """
    if len(people) < 2:
        raise NoPersonError(f"a pair model reads two people in view together, but {len(people)} "
                            f"{'person was' if len(people) == 1 else 'people were'} tracked")

    def together(ab: tuple[PersonTrack, PersonTrack]) -> int:
        return int((ab[0].keypoints.pose_present & ab[1].keypoints.pose_present).sum())

    a, b = max(combinations(sorted(people, key=lambda p: p.id), 2), key=together)
    frames = together((a, b))
    if not frames:
        raise NoPersonError(f"a pair model reads two people in view together, but no two of the {len(people)} "
                            "tracked people were ever in view at the same time")
    return a, b, frames


def predict_pair(found: PeopleKeypoints, clf, top_k: int = 3, smoothing: int = 3) -> PairPrediction:
    """A pair model's answer for the two people of ``found`` who are in view together longest."""
    a, b, frames = longest_together(found.people)
    res = predict_sequence(pair_from_sequences(a.keypoints, b.keypoints), clf, top_k=top_k, smoothing=smoothing)
    pair = PairResult([a.id, b.id], frames, res.label, res.confidence, res.probabilities, res.top_k, res.timeline)
    people = [PersonPrediction(p.id, p.frames, p.box, res.label, res.confidence, res.probabilities, res.top_k,
                               p.keypoints.person_fraction, res.timeline, keypoints=p.keypoints) for p in (a, b)]
    fields = {k: getattr(res, k) for k in ActionPrediction.__dataclass_fields__}
    fields["keypoints"] = None
    return PairPrediction(**fields, people=people, pairs=[pair])
