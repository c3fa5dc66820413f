"""Train a model bundle from keypoint data, with a training record for its model card."""

from __future__ import annotations

import datetime as _dt
import os
import time
from pathlib import Path

import numpy as np

from .bundle import save_model
from .classifier import PoseActionClassifier
from .evaluation import cross_validate
from .sequence import load_folder


def describe_sources(sequences) -> list[dict]:
    """Unique (subject, repository, commit, license) records found in the sequences' metadata."""
    seen, out = set(), []
    for s in sequences:
        m = s.meta
        key = (m.get("subject"), m.get("source_repo"), m.get("commit"))
        if key not in seen and any(key):
            seen.add(key)
            out.append({k: m.get(k) for k in ("subject", "source_repo", "commit", "license", "mirrored_input_suspected")})
    return out


def train_folder(data: str | os.PathLike, out: str | os.PathLike, cv: int = 5, progress: bool = True,
                 **params) -> tuple[PoseActionClassifier, dict]:
    """Train on a folder of keypoint batch files (one file per person = one group) and save a bundle.

    With ``cv > 1`` a grouped cross-validation by person runs first and its figures go into
    the bundle's training record. Returns (fitted classifier, training record).
    """
    X, y, groups = load_folder(data)
    make = lambda: PoseActionClassifier(verbose=False, **params)  # noqa: E731
    record: dict = {
        "data": str(Path(data)), "sequences": len(X), "groups": sorted(set(groups)),
        "classes": sorted(set(y)), "sources": describe_sources(X),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if cv and cv > 1:
        record["cross_validation"] = cross_validate(make, X, y, groups, folds=cv, progress=progress)
    start = time.perf_counter()
    clf = PoseActionClassifier(verbose=progress, **params).fit(X, y, groups)
    record["fit_seconds"] = time.perf_counter() - start
    record["validation_accuracy"] = max(clf.history_.get("val_accuracy") or [float("nan")])
    save_model(clf, out, training=record)
    return clf, record


def seen_unseen(groups_seen, groups) -> tuple[np.ndarray, np.ndarray]:
    """Masks of samples whose group the model was / was not trained on."""
    seen = np.isin(np.asarray(groups), np.asarray(list(groups_seen)))
    return seen, ~seen
