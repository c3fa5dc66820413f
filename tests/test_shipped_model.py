"""The shipped default model and the quick start's inputs, as a user gets them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posehar import get_model, list_models, predict_action
from posehar.bundle import read_config
from posehar.sequence import KeypointSequence

PROJECT = Path(__file__).resolve().parents[1]


def test_default_model_is_shipped_and_documented():
    assert "mp_gestures" in list_models()
    cfg = read_config(PROJECT / "models" / "mp_gestures")  # checksums, format version
    cv = cfg["training"]["cross_validation"]
    assert cv["protocol"].startswith("grouped 5-fold") and len(cfg["training"]["groups"]) == 72
    card = (PROJECT / "models" / "mp_gestures" / "README.md").read_text()
    assert f"{cv['accuracy_mean']:.3f}" in card


def test_shipped_example_sequences():
    # These people were among the 72 training people: this checks the shipped artefact, not
    # generalisation (the model card's grouped CV is that figure).
    files = sorted((PROJECT / "examples" / "keypoints").glob("*.npz"))
    assert len(files) == 9
    clf = get_model(None)
    seqs = [KeypointSequence.load(f) for f in files]
    pred = clf.predict(seqs)
    assert np.mean(pred == np.array([s.label for s in seqs])) >= 8 / 9


def test_quick_start_clip_is_not_a_gesture():
    r = predict_action(PROJECT / "examples" / "exercise_three_people.avi")
    assert r.frames_read == 393 and r.person_fraction > 0.9
    assert r.label == "unknown"
