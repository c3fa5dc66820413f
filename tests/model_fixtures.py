"""A tiny real model, trained once per test session on 12 people of mp_gestures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posehar.bundle import save_model
from posehar.classifier import PoseActionClassifier
from posehar.sequence import load_folder

TRAIN_PEOPLE = [f"p{i:02d}" for i in range(1, 13)]


def train_tiny_model(gestures: Path, out: Path, hands: bool = True) -> Path:
    """Train a small PoseActionClassifier on people p01-p12 and save it as a bundle at ``out``."""
    X, y, groups = load_folder(gestures)
    keep = np.isin(groups, TRAIN_PEOPLE)
    idx = np.flatnonzero(keep)
    clf = PoseActionClassifier(hands=hands, epochs=3, hidden_size=32, verbose=False, random_state=0)
    clf.fit([X[i] for i in idx], np.asarray(y)[idx], np.asarray(groups)[idx])
    return save_model(clf, out, training={"groups": TRAIN_PEOPLE, "data": str(gestures)})
