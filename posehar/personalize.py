"""Adapt a trained model to one new person from a few labelled clips of theirs ("enrolment").

Only the logistic-regression head changes: it is refit on the person's clips while an L2 pull
keeps it close to the trained head (a Gaussian prior centred on the trained weights), so a
handful of clips is enough and no training data is needed. The encoder, the scaler and the
'unknown' thresholds stay as trained. Measured on the 72 people of ``mp_gestures``
(``benchmarks/enrolment.py``; docs/cross_person.md, "Enrolment"): 3 clips per sign lift a new
person's accuracy from 0.927 to 0.968 with hands and from 0.770 to 0.883 body-only.
"""

from __future__ import annotations

import copy
import os
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

from .classifier import PoseActionClassifier, logistic_head
from .errors import PoseharError
from .models import get_model
from .pose import require_person
from .sequence import KeypointSequence


def personalize(model: PoseActionClassifier | str | os.PathLike, X: Sequence[KeypointSequence], y: Sequence[str],
                strength: float = 1.0, person: str | None = None) -> PoseActionClassifier:
    """A copy of the fitted ``model`` (or of a shipped model / bundle, by name or path) whose head
    is adapted to the person who recorded ``X``.

    ``y`` holds the classes of ``X`` (each one of ``model.classes_``; classes without clips keep
    their trained weights, pulled only by the other classes' clips). ``strength`` is the pull
    towards the trained head: larger keeps the model closer to how it reads everyone else.
    The copy's ``training_["personalized"]`` records the clips per class, the strength and ``person``
    (the group name of whoever recorded ``X``, where known), who then counts among the people the
    model has seen (``training_["groups"]``), as ``posehar evaluate`` reports them.
    """
    model = get_model(model)
    if not hasattr(model, "logreg_"):
        raise PoseharError("personalize needs a fitted model; call fit() or load a bundle first")
    X, y = list(X), np.asarray(y).astype(str)
    if len(X) == 0 or len(X) != len(y):
        raise PoseharError(f"personalize needs one label per clip and at least one clip; got {len(X)} clips "
                           f"and {len(y)} labels")
    unknown = sorted(set(y) - set(model.classes_.tolist()))
    if unknown:
        raise PoseharError(f"labels {unknown} are not classes of this model ({model.classes_.tolist()}); "
                           "personalize adapts a model to a person, it cannot add classes")
    if strength <= 0:
        raise PoseharError(f"strength must be > 0 (got {strength}); it keeps the head close to the trained one")
    for seq in X:
        require_person(seq)  # a clip with nobody in it says nothing about the person
    vectors, target, weight = _enrolment_vectors(model, X, np.searchsorted(model.classes_, y))
    coef, intercept = _adapt_head(model.logreg_.coef_, model.logreg_.intercept_,
                                  model.scaler_.transform(vectors), target, weight, len(model.classes_), strength)
    adapted = copy.deepcopy(model)
    adapted.logreg_ = logistic_head(coef, intercept, model.C)
    counts = Counter(y.tolist())
    adapted.training_ = {**getattr(model, "training_", {}), "personalized": {
        "clips": len(X), "clips_per_class": {c: counts.get(c, 0) for c in model.classes_.tolist()},
        "strength": strength, **({"person": person} if person is not None else {})}}
    if person is not None:  # the head has now seen this person: evaluate reports them apart from new people
        adapted.training_["groups"] = sorted({*adapted.training_.get("groups", []), person})
    return adapted


def _enrolment_vectors(model: PoseActionClassifier, X, target) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(temporal vectors of every window of every clip, and of its mirror image where the model's head
    was fit on mirrored copies too; the class each shows; its weight), as the trained head was fit on
    its training clips: each clip weighs 1 however many windows it has, and its mirror image 1 more."""
    feats, mirrored = model._prepared(X)
    windows, mirror_windows, owner = model._windowing(feats, mirrored)
    vectors, mirror_vectors = model._window_vectors(windows, mirror_windows)
    return model._head_rows(vectors, mirror_vectors, target, owner, np.arange(len(X)))


def _adapt_head(coef: np.ndarray, intercept: np.ndarray, z: np.ndarray, target: np.ndarray, weight: np.ndarray,
                n_classes: int, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimise the windows' cross-entropy, summed with ``weight``, + strength/2 * ||theta - theta_trained||^2."""
    binary = coef.shape[0] == 1
    if binary:  # sigmoid head -> the equivalent two-row softmax head
        coef = np.concatenate([-coef / 2, coef / 2])
        intercept = np.concatenate([-intercept / 2, intercept / 2])
    theta0 = np.concatenate([coef, intercept[:, None]], axis=1).astype(np.float64)
    zb = np.concatenate([z, np.ones((len(z), 1))], axis=1)
    weighted = np.eye(n_classes)[target] * weight[:, None]  # one-hot targets, each row times its weight

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        theta = flat.reshape(theta0.shape)
        logits = zb @ theta.T
        diff = theta - theta0
        value = -(weighted * log_softmax(logits, axis=1)).sum() + strength / 2 * (diff ** 2).sum()
        grad = (softmax(logits, axis=1) * weight[:, None] - weighted).T @ zb + strength * diff
        return float(value), grad.ravel()

    theta = minimize(loss, theta0.ravel(), jac=True, method="L-BFGS-B").x.reshape(theta0.shape)
    coef, intercept = theta[:, :-1], theta[:, -1]
    if binary:
        coef, intercept = coef[1:] - coef[:1], intercept[1:] - intercept[:1]
    return coef, intercept
