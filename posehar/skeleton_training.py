"""Training data from skeleton sets: common-body sequences, and extra virtual views of 3D recordings.

A 3D recording is seen as recorded (a camera at the sensor) and, for training, from ``views``
more random viewpoints (:meth:`posehar.geometry.View.random`), each a sequence of its own with
the same label and person; 2D sources are used as they are. Evaluation always reads the
recording as recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .body import to_common
from .datasets.skeleton_file import SkeletonFile, cross_subject_folds
from .evaluation import run_folds
from .geometry import View
from .proportions import Proportions
from .sequence import KeypointSequence
from .skeleton import SkeletonClip

if TYPE_CHECKING:
    from .classifier import PoseActionClassifier
    from .datasets.base import Sample

# What a body-action model reads: the common body (no hands), with root motion, 2-second windows
# (G3D actors 1-5 -> 6-7: 0.859 with 30-frame windows, 0.891 with 60).
# Training windows of 20-60 frames, so short clips (the shared lab kicks are 30-42 frames) read as
# the same action as long ones. Depth (how joints move towards the camera; docs/skeletons.md):
# UTD-MHAD odd -> even 0.886 -> 0.897, G3D seed split 0.974 -> 0.987 (seeds 0, 1), and the front-on
# lab kick seed_test_7 reads as a kick.
# A wider GRU, trained all its epochs (no epoch chosen on the validation people), seed 0, the head fit
# on windows: UTD-MHAD odd -> even 0.888 (96 units, early stopping) -> 0.905 (96, all epochs) -> 0.949
# (192, all epochs); NW-UCLA 0.905 -> 0.922; Penn Action 0.954 -> 0.964; bidirectional or 60 epochs
# gained less (UTD-MHAD 0.912 and 0.933). Batches of 32 (twice the steps; a fit takes about 1.25x as long),
# inner splits, seeds 0 and 1: UTD-MHAD 0.819 -> 0.838, NW-UCLA 0.789 -> 0.807, Penn Action 0.955 -> 0.958
# (dropout 0.3 and crops from 30 frames gained less: docs/results/inner_splits.jsonl).
# At most 6000 optimiser steps (about 5 minutes on 2 cores), so a large set's model trains in under 10
# minutes: MSRC-12 cross-subject (about 8500 training sequences with its extra views) 40 -> 22 epochs;
# 19 instead of 40 on its inner splits (seeds 0, 1) gave 0.945 against 0.944 in 115 s against 244 s.
# Every other protocol trains its 40 epochs within the budget.
# The logistic regression also reads the per-frame layer's max over the window and over each of its halves
# (``frame_max`` 2, chosen on few-shot and protocol inner splits: posehar.encoder.GRUEncoder); the encoder
# trains as without it.
BODY_PARAMS: dict = {"layout": "common_body", "hands": False, "root_motion": True, "depth": True, "window": 60,
                     "min_crop": 20, "hidden_size": 192, "early_stopping": False, "batch_size": 32,
                     "max_steps": 6000, "frame_max": 2}
# The default model (every shared set through the vocabulary: posehar.training.train_skeleton_sets) has a head
# on the GRU's outputs alone, chosen on real video: on the shared pedestrians seen from above (11 tracks, the
# same encoder, byte for byte) walk came first for 9 tracks with frame_max 0, 7 with 1 and 6 with 2, while its
# held-out people moved a few clips of 1,884 either way (docs/experiments.md). Heads taught from a few clips on
# its encoder read the pyramid whatever it reads (posehar.fewshot.FEWSHOT_FRAME_MAX).
SETS_PARAMS: dict = {**BODY_PARAMS, "frame_max": 0}
# Extra random viewpoints per 3D recording in training (G3D actors 1-5 -> 6-7: 0.756 with none, 0.859 with 4).
TRAIN_VIEWS = 4
# Each extra viewpoint replayed by a body of other proportions, every segment scaled by 1 +- this
# (posehar.proportions). Inner splits (training people only), seeds 0 and 1: UTD-MHAD 0.838 -> 0.866
# (0.863 with 0.2), Kinder-Gator 0.460 -> 0.469, G3D seed protocol 0.960 -> 0.967, NW-UCLA 0.807 -> 0.811,
# MSRC-12 0.944 -> 0.944, G3D leave-one-actor-out 0.847 -> 0.846 (the last four with 2 extra views).
TRAIN_PROPORTIONS = 0.1


def training_views(extra: int, rng: np.random.Generator, bodies: np.random.Generator,
                   proportions: float = TRAIN_PROPORTIONS) -> list[tuple[View | None, Proportions | None]]:
    """How a training recording is seen: as recorded, then from ``extra`` random viewpoints (drawn from
    ``rng``), each by a body of random proportions (1 +- ``proportions``, drawn from ``bodies``, its own
    stream, so the viewpoints stay those drawn without it)."""
    views = [View.random(rng) for _ in range(extra)]
    return [(None, None)] + [(v, Proportions.random(bodies, proportions) if proportions > 0 else None) for v in views]


def skeleton_sequences(sf: SkeletonFile, indices: Sequence[int] | None = None, views: int = 0,
                       seed: int = 0, labels: dict[str, str] | None = None, proportions: float = TRAIN_PROPORTIONS,
                       layout: str = "common_body") -> tuple[list[KeypointSequence], list[str], list[str]]:
    """(sequences, labels, groups) of ``sf``'s sequences ``indices`` (all by default), in the common-body
    ``layout``.

    ``views`` extra random viewpoints per 3D recording, each replayed by a body of random
    proportions (segments scaled by 1 +- ``proportions``) when that is above 0; ``labels`` renames
    source labels (sequences whose label is not in it are left out); sequences with nobody seen are
    left out.
    """
    rng = np.random.default_rng(seed)
    bodies = np.random.default_rng([seed, 1])
    idx = range(len(sf)) if indices is None else indices
    X: list[KeypointSequence] = []
    y: list[str] = []
    groups: list[str] = []
    for i in idx:
        label = str(sf.labels[i])
        if labels is not None:
            if label not in labels:
                continue
            label = labels[label]
        clip = sf.clip(int(i))
        for seq in _seen_views(clip, views if sf.is_3d else 0, rng, bodies, proportions, layout):
            X.append(seq)
            y.append(label)
            groups.append(f"{sf.path.stem}:{clip.subject}")
    return X, y, groups


def _seen_views(clip: SkeletonClip, extra: int, rng: np.random.Generator, bodies: np.random.Generator,
                proportions: float = TRAIN_PROPORTIONS, layout: str = "common_body") -> list[KeypointSequence]:
    """``clip`` in the common-body ``layout`` as recorded and from ``extra`` random viewpoints (:func:`training_views`),
    each where somebody is seen in some frame (Penn Action clip 1516 has visibility 0 throughout)."""
    seqs = [to_common(clip, v, body, layout) for v, body in training_views(extra, rng, bodies, proportions)]
    return [seq for seq in seqs if seq.pose_present.any()]


def cross_subject_cv(sf: SkeletonFile, make_model: Callable[[], PoseActionClassifier], folds: int = 5,
                     views: int = 0, seed: int = 0, progress: bool = True) -> dict:
    """Grouped K-fold over ``sf``'s subjects: train on the other subjects (with ``views`` extra
    viewpoints of 3D recordings), test on the fold's subjects as recorded, each in the common-body
    layout the model reads. Same record as :func:`posehar.evaluation.cross_validate`."""
    layout = make_model().layout
    return grouped_cv(sf.labels.astype(str), sf.subjects, make_model,
                      lambda idx: skeleton_sequences(sf, idx, views=views, seed=seed, layout=layout),
                      lambda idx: [sf.sequence(int(i), layout=layout) for i in idx],
                      folds=folds, seed=seed, progress=progress, unit="subject")


def grouped_cv(labels: np.ndarray, subjects: np.ndarray, make_model: Callable[[], PoseActionClassifier],
               train_data: Callable[[np.ndarray], tuple[list[KeypointSequence], list[str], list[str]]],
               test_data: Callable[[np.ndarray], list[KeypointSequence]], folds: int = 5, seed: int = 0,
               progress: bool = True, unit: str = "subject") -> dict:
    """K-fold grouped by ``subjects``: ``make_model()`` fit on ``train_data(train rows)`` ->
    (sequences, labels, groups), scored on ``test_data(test rows)`` -> sequences. Same record as
    :func:`posehar.evaluation.cross_validate`; ``unit`` names what a group is."""
    splits = cross_subject_folds(subjects, folds, seed)
    return run_folds(labels, splits, lambda tr, te: make_model().fit(*train_data(tr)).predict(test_data(te)),
                     f"grouped {len(splits)}-fold CV by {unit} (no {unit} in both train and test)", progress)


def model_labels(model: PoseActionClassifier, sf: SkeletonFile) -> dict[str, str] | None:
    """How ``sf``'s labels read as ``model``'s classes: None when they are its classes already,
    else the vocabulary's mapping of that set (for a model trained through a vocabulary).

    Raises DatasetLayoutError when the set's labels are not the model's and no mapping exists.
    """
    from .errors import DatasetLayoutError
    from .vocabulary import DEFAULT_VOCABULARY, read_vocabulary, set_labels

    classes = set(np.asarray(model.classes_).astype(str))
    if set(sf.labels) <= classes:
        return None
    vocabulary = getattr(model, "training_", {}).get("vocabulary")
    if vocabulary == "default":
        vocabulary = DEFAULT_VOCABULARY
    mapping = set_labels(read_vocabulary(vocabulary), sf.path) if vocabulary and Path(vocabulary).is_file() else None
    if not mapping:
        raise DatasetLayoutError(f"{sf.path}: its labels ({', '.join(sf.classes[:4])}, ...) are not classes of this "
                                 "model and no vocabulary maps them")
    mapped = {k: v for k, v in mapping.items() if v in classes}
    if not mapped:
        raise DatasetLayoutError(f"{sf.path}: the vocabulary maps none of its labels to a class of this model")
    return mapped


def sample_sequences(samples: Sequence[Sample], views: int = 0, seed: int = 0, layout: str | None = None
                     ) -> tuple[list[KeypointSequence], list[str], list[str]]:
    """(sequences, labels, groups) of skeleton-format dataset samples (NTU, Penn Action, MSRC-12, ...),
    read from their files and mapped to the common-body ``layout`` (by default the one
    :func:`posehar.body.body_layout` gives their sources), with ``views`` extra viewpoints of 3D ones
    (each replayed by a body of other proportions) and recordings with nobody seen left out, as in
    :func:`skeleton_sequences`."""
    from .body import body_layout, identify_layout
    from .datasets.skeletons import read_skeleton_sample

    rng = np.random.default_rng(seed)
    bodies = np.random.default_rng([seed, 1])
    clips = [read_skeleton_sample(sample) for sample in samples]
    sources = [identify_layout(clip.joint_names) for clip in clips]
    layout = layout or body_layout(sources)
    X: list[KeypointSequence] = []
    y: list[str] = []
    groups: list[str] = []
    for sample, clip, source in zip(samples, clips, sources):
        for seq in _seen_views(clip, views if source.space == "camera3d" else 0, rng, bodies, layout=layout):
            X.append(seq)
            y.append(sample.label)
            groups.append(str(sample.group))
    return X, y, groups
