"""Enrolment: adapting a trained model to a new person from a few labelled clips of theirs."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from posehar.bundle import load_model, save_model
from posehar.classifier import PoseActionClassifier
from posehar.errors import NoPersonError, PoseharError
from posehar.personalize import _adapt_head, _enrolment_vectors, personalize
from posehar.sequence import load_batch

# p38 (not among the tiny model's p01-p12) signs 'thanks' the way others sign 'hello'.
PERSON = "p38"


@pytest.fixture(scope="module")
def person(gestures):
    """p38's clips: 3 per sign to enrol with (seeded), the other 81 to test on."""
    X = load_batch(gestures / f"{PERSON}.npz")
    y = np.array([s.label for s in X])
    rng = np.random.default_rng(0)
    enrol = np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), 3, replace=False) for c in np.unique(y)]))
    rest = np.setdiff1d(np.arange(len(X)), enrol)
    return [X[i] for i in enrol], y[enrol], [X[i] for i in rest], y[rest]


def accuracy(model, X, y) -> float:
    return float((model.predict(X) == y).mean())


def test_enrolment_lifts_a_new_persons_accuracy(tiny_model, person):
    model = load_model(tiny_model)
    Xe, ye, Xt, yt = person
    before_pred = model.predict(Xt)
    adapted = personalize(model, Xe, ye)
    before, after = float((before_pred == yt).mean()), accuracy(adapted, Xt, yt)
    assert before < 0.5 and after > before + 0.3 and after > 0.75, (before, after)
    # the original model is untouched; the encoder and thresholds are shared, only the head moved
    assert (model.predict(Xt) == before_pred).all()
    assert adapted.encoder_ is not model.encoder_ and adapted.confidence_threshold_ == model.confidence_threshold_
    assert not np.allclose(adapted.logreg_.coef_, model.logreg_.coef_)
    assert adapted.training_["personalized"] == {"clips": 9, "clips_per_class": {c: 3 for c in model.classes_},
                                                 "strength": 1.0}


def test_strength_keeps_the_head_close(tiny_model, person):
    model = load_model(tiny_model)
    Xe, ye, _, _ = person
    moved = [np.abs(personalize(model, Xe, ye, strength=s).logreg_.coef_ - model.logreg_.coef_).sum()
             for s in (0.3, 3.0, 100.0)]
    assert moved[0] > moved[1] > moved[2] > 0


def test_personalized_bundle_round_trip(tiny_model, person, tmp_path):
    Xe, ye, Xt, _ = person
    adapted = personalize(tiny_model, Xe, ye)  # a bundle path (or shipped name) works as well as a classifier
    out = save_model(adapted, tmp_path / "mine", training=adapted.training_)
    reloaded = load_model(out)
    assert np.allclose(reloaded.predict_proba(Xt), adapted.predict_proba(Xt))
    assert "Personalised" in (out / "README.md").read_text() and "9 labelled clips" in (out / "README.md").read_text()


def test_a_long_clip_weighs_as_much_as_a_short_one(tiny_model, person):
    """Each enrolment clip (and its mirror image) weighs 1 however many windows it has, as the trained
    head weighs its training clips: a clip played at a quarter of its speed does not outweigh the others."""
    model = load_model(tiny_model)
    Xe, ye, _, _ = person
    long = Xe[0].take(np.repeat(np.arange(len(Xe[0])), 4))
    clips = [long, *Xe[1:]]
    _, target, weight = _enrolment_vectors(model, clips, np.searchsorted(model.classes_, ye))
    windows = [len(model.window_items(c)[1]) for c in clips]
    assert windows[0] > 2 * windows[1]
    images = 2 if model._head_sees_mirrors() else 1  # each clip, and its mirror image
    owner = np.tile(np.repeat(np.arange(len(clips)), windows), images)  # every clip's windows, then their mirrors
    assert np.allclose(np.bincount(owner, weights=weight), images)
    # the weighted loss's gradient is the one minimised
    rng = np.random.default_rng(0)
    z = rng.normal(size=(len(target), 5))
    coef, intercept = rng.normal(size=(3, 5)), rng.normal(size=3)
    exact = _adapt_head(coef, intercept, z, target, weight, 3, 1.0)
    doubled = _adapt_head(coef, intercept, np.concatenate([z, z]), np.concatenate([target, target]),
                          np.concatenate([weight, weight]) / 2, 3, 1.0)
    assert np.allclose(exact[0], doubled[0], atol=1e-4) and np.allclose(exact[1], doubled[1], atol=1e-4)


def test_two_class_model(gestures, person):
    """A binary head (one weight row in scikit-learn) is adapted and stays one row."""
    X = [s for p in ("p01", "p02", "p03", "p04") for s in load_batch(gestures / f"{p}.npz") if s.label != "thanks"]
    y = [s.label for s in X]
    model = PoseActionClassifier(epochs=2, hidden_size=16, verbose=False).fit(X, y, [s.meta["subject"] for s in X])
    Xe, ye, Xt, yt = person
    keep = ye != "thanks"
    adapted = personalize(model, [x for x, k in zip(Xe, keep) if k], ye[keep])
    assert adapted.logreg_.coef_.shape == model.logreg_.coef_.shape == (1, model.logreg_.coef_.shape[1])
    assert set(adapted.predict(Xt)) <= {"hello", "iloveyou"}


def test_bad_enrolment_is_named(tiny_model, person):
    model = load_model(tiny_model)
    Xe, ye, _, _ = person
    with pytest.raises(PoseharError, match=r"labels \['wave'\] are not classes of this model"):
        personalize(model, Xe, ["wave"] + list(ye[1:]))
    with pytest.raises(PoseharError, match="one label per clip"):
        personalize(model, Xe, ye[:-1])
    with pytest.raises(PoseharError, match="strength must be > 0"):
        personalize(model, Xe, ye, strength=0)
    with pytest.raises(PoseharError, match="needs a fitted model"):
        personalize(PoseActionClassifier(), Xe, ye)
    empty = Xe[0].take(np.arange(len(Xe[0])))
    empty.pose_present[:] = False
    with pytest.raises(NoPersonError, match="no person found"):
        personalize(model, [empty, *Xe[1:]], ye)


def posehar(*args):
    return subprocess.run([sys.executable, "-m", "posehar", *map(str, args)], capture_output=True, text=True)


def test_cli_class_folders_of_keypoints_and_videos(tiny_model, person, videos, tmp_path):
    Xe, ye, Xt, yt = person
    clips = tmp_path / "clips"
    for n, (seq, label) in enumerate(zip(Xe, ye)):
        (clips / label).mkdir(parents=True, exist_ok=True)
        seq.save(clips / label / f"clip{n}.npz")
    (clips / "hello" / "camera.mp4").symlink_to(videos / "seed_test_9.mp4")
    r = posehar("personalize", tiny_model, clips, "-o", tmp_path / "mine", "--max-frames", 30)
    assert r.returncode == 0, r.stderr
    assert "10 clips (hello 4, iloveyou 3, thanks 3)" in r.stdout
    assert load_model(tmp_path / "mine").training_["personalized"]["clips"] == 10
    assert accuracy(load_model(tmp_path / "mine"), Xt, yt) > accuracy(load_model(tiny_model), Xt, yt) + 0.3


def test_cli_batch_file_and_errors(tiny_model, gestures, tmp_path):
    r = posehar("personalize", tiny_model, gestures / "p38.npz", "-o", tmp_path / "mine")
    assert r.returncode == 0, r.stderr
    assert "90 clips (hello 30, iloveyou 30, thanks 30)" in r.stdout
    # p38's clips now shaped the head: evaluate counts p38 among the people seen, not as a new person.
    folder = tmp_path / "people"
    folder.mkdir()
    for p in ("p38", "p39"):
        shutil.copy(gestures / f"{p}.npz", folder / f"{p}.npz")
    r = posehar("evaluate", tmp_path / "mine", folder, "--confusion", tmp_path / "c.png")
    assert r.returncode == 0, r.stderr
    assert "people NOT seen in training (1)" in r.stdout and "people seen in training (1;" in r.stdout
    empty = tmp_path / "empty"
    (empty / "hello").mkdir(parents=True)
    for clips, message in ((tmp_path / "missing", "does not exist"), (empty, "holds no class folders")):
        r = posehar("personalize", tiny_model, clips, "-o", tmp_path / "x")
        assert r.returncode == 2 and r.stderr.startswith("posehar: error:") and message in r.stderr
