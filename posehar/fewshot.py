"""Teach a trained model new actions from a few clips: its encoder kept, a new logistic regression.

The seed system's idea: an encoder trained on many actions turns any movement into a temporal
vector, so a new set of actions needs only a logistic regression on the vectors of a few
clips per class (seconds, not minutes). The 'unknown' confidence threshold is set from
cross-validated predictions on the clips themselves: grouped by person where the clips name two
or more people and every fold keeps two classes to train on, else stratified (which needs 2 clips
a class; without any folds the threshold is 0). The temporal-vector novelty threshold is 1.5 times
the clips' own 99th-percentile distance to their class centres (a handful of clips gives no
held-out distances to calibrate on); the input-novelty test (distance of the input features to
the encoder's training frames) is kept from the base model.
"""

from __future__ import annotations

import copy
import os
from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch
from sklearn.model_selection import GroupKFold, StratifiedKFold

from .classifier import RESERVED_LABELS, PoseActionClassifier
from .errors import PoseharError
from .models import get_model
from .pose import require_person
from .sequence import KeypointSequence
from .sides import mirror_classes


# What a head taught from a few clips reads, whatever the base model's own head reads (an encoder's weights do
# not depend on it): the GRU's pooled outputs and the per-frame layer's max over the window and each half of it
# (posehar.encoder.GRUEncoder). Leave-one-set-out 5-shot inner splits, mean of G3D, MSRC-12 and UTD-MHAD over
# two seeds: 0.850 on the GRU's outputs alone, 0.873 with one level, 0.884 with two (docs/experiments.md).
FEWSHOT_FRAME_MAX = 2


def fit_from(base: PoseActionClassifier | str | os.PathLike, X: Sequence[KeypointSequence], y: Sequence[str],
             groups: Sequence[str] | None = None, cv: int = 5,
             frame_max: int = FEWSHOT_FRAME_MAX) -> tuple[PoseActionClassifier, dict]:
    """A new model with ``base``'s encoder and a head fit on ``X``, ``y`` (at least 2 classes, 1 clip each,
    a person in every clip), reading the temporal vector with ``frame_max`` pyramid levels of the per-frame
    layer's max. Returns (model, record); the record holds the cross-validated accuracy on the clips with
    ``cv`` folds or fewer, and whether they were grouped by ``groups`` (see :func:`_folds`)."""
    base = get_model(base)
    if not hasattr(base, "encoder_"):
        raise PoseharError("teaching new actions needs a fitted model (a bundle, or a fitted PoseActionClassifier) "
                           "to take the encoder from")
    X, y = list(X), np.asarray(y).astype(str)
    if len(X) != len(y):
        raise PoseharError(f"X has {len(X)} clips but y has {len(y)} labels")
    reserved = sorted(set(y.tolist()) & RESERVED_LABELS)
    if reserved:
        raise PoseharError(f"{reserved[0]!r} cannot be a class: predictions use it for an answer of no class")
    for seq in X:
        require_person(seq)  # a clip with nobody in it shows no action
    counts = Counter(y.tolist())
    if len(counts) < 2:
        raise PoseharError(f"teaching new actions needs clips of at least 2 classes; got {dict(counts)}")
    model = copy.deepcopy(base)
    model.frame_max = model.encoder_.frame_max = frame_max
    model.classes_ = np.unique(y)
    model.mirror_class_ = mirror_classes(model.classes_)
    # The encoder's own linear head only trains the encoder; a bundle's has one row per class.
    model.encoder_.head = torch.nn.Linear(model.encoder_.pooled_dim, len(model.classes_))
    torch.nn.init.zeros_(model.encoder_.head.weight)
    torch.nn.init.zeros_(model.encoder_.head.bias)
    target = np.searchsorted(model.classes_, y)
    feats, mirrored = model._prepared(X)
    windows, mirror_windows, owner = model._windowing(feats, mirrored)
    vectors, mirror_vectors = model._window_vectors(windows, mirror_windows)
    record: dict = {"base": {"classes": base.classes_.tolist(),
                             **{k: v for k, v in getattr(base, "training_", {}).items() if k in ("command", "date")}},
                    "clips": len(X), "clips_per_class": dict(counts),
                    "groups": None if groups is None else len(set(groups))}
    folds, grouped = _folds(target, groups, cv)
    if folds:
        proba = np.zeros((len(X), len(model.classes_)))
        for train, test in folds:
            model._fit_head(vectors, mirror_vectors, target, owner, train)
            # A class only the test fold's people recorded is absent from the head: never predicted there.
            proba[test] = model.sequence_proba(
                [feats[i] for i in test], None if mirrored is None else [mirrored[i] for i in test])
        record["cross_validation"] = {"folds": len(folds), "accuracy": float((proba.argmax(1) == target).mean()),
                                      "grouped": grouped}
        model.confidence_threshold_ = model.confidence_from(proba, target)
    else:
        model.confidence_threshold_ = 0.0
    model._fit_head(vectors, mirror_vectors, target, owner, np.arange(len(X)))
    model.novelty_threshold_ = _novelty_threshold(model, vectors)
    model.training_ = {"taught": record}  # the base's own record describes the base, not this model
    return model, record


def _novelty_threshold(model: PoseActionClassifier, vectors: np.ndarray) -> float:
    """1.5 times the clips' own 99th-percentile distance to their class centres; where that is 0 (one window a
    class, no mirror images), half the smallest distance between two class centres."""
    spread = float(np.quantile(model._vector_distance(vectors), 0.99))
    if spread > 0:
        return 1.5 * spread
    centres = model.centroids_
    apart = np.linalg.norm(centres[:, None] - centres[None], axis=-1)[np.triu_indices(len(centres), 1)]
    return 0.5 * float(apart.min()) / np.sqrt(centres.shape[1])  # in _vector_distance's units


def _folds(target: np.ndarray, groups, cv: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """(folds, whether they are grouped): up to ``cv`` grouped folds when ``groups`` hold 2 or more people and
    every fold trains on 2 or more classes, else stratified ones, as many as the smallest class allows."""
    if cv < 2:
        return [], False
    idx = np.arange(len(target))
    people = len(set(groups)) if groups is not None else 0
    for k in range(min(cv, people), 1, -1):
        folds = list(GroupKFold(n_splits=k).split(idx, target, np.asarray(groups)))
        if all(len(np.unique(target[train])) >= 2 for train, _ in folds):
            return folds, True
    k = min(cv, int(np.bincount(target).min()))
    return (list(StratifiedKFold(n_splits=k, shuffle=True, random_state=0).split(idx, target)) if k >= 2 else []), False
