"""A tiny real model for tests: trained once per session on 12 people of mp_gestures."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

TINY_PEOPLE = tuple(f"p{i:02d}" for i in range(1, 13))


def tiny_data(gestures: Path, people=TINY_PEOPLE) -> Path:
    """A temp folder holding only ``people``'s npz + json (so load_folder reads 12 files, not 72)."""
    folder = Path(tempfile.mkdtemp(prefix="posehar-tiny-"))
    for p in people:
        for suffix in (".npz", ".json"):
            src = gestures / f"{p}{suffix}"
            if src.is_file():
                shutil.copy2(src, folder / src.name)
    return folder


def train_tiny_model(gestures: Path, out: Path) -> Path:
    """Train ``PoseActionClassifier(epochs=3, hidden_size=32)`` on p01-p12 and save it at ``out``."""
    from posehar.bundle import save_model
    from posehar.classifier import PoseActionClassifier
    from posehar.sequence import load_folder

    data = tiny_data(gestures)
    try:
        X, y, groups = load_folder(data)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    clf = PoseActionClassifier(epochs=3, hidden_size=32, verbose=False)
    clf.fit(X, y, groups)
    return save_model(clf, out)
