"""The Python API as scikit-learn and torchvision users expect it: labels, clone, parameter checks,
probabilities, shared models, and clear errors for bad arguments."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold, cross_val_score

from posehar.bundle import load_model, save_model
from posehar.classifier import PoseActionClassifier
from posehar.datasets.skeleton_file import SkeletonFile
from posehar.errors import DatasetLayoutError, KeypointFormatError, ModelBundleError
from posehar.models import get_model
from posehar.predict import predict_action
from posehar.sequence import KeypointSequence, load_batch

PROJECT = Path(__file__).resolve().parents[1]
TINY = dict(epochs=1, hands=False, verbose=False)


@pytest.fixture(scope="module")
def gesture_data(gestures):
    """Four people's gestures (every third sequence), their labels as integers 0-2, and the people."""
    X, names, people = [], [], []
    for person in ("p01", "p02", "p03", "p04"):
        batch = load_batch(gestures / f"{person}.npz")[::3]
        X += batch
        names += [s.label for s in batch]
        people += [person] * len(batch)
    codes = {name: i for i, name in enumerate(sorted(set(names)))}
    return X, np.array([codes[n] for n in names]), np.array(people)


@pytest.fixture(scope="module")
def int_model(gesture_data):
    X, y, people = gesture_data
    return PoseActionClassifier(**TINY).fit(X, y, people)


def test_integer_labels_stay_integers_through_fit_score_and_a_bundle(int_model, gesture_data, tmp_path):
    X, y, _ = gesture_data
    assert int_model.classes_.tolist() == [0, 1, 2] and int_model.classes_.dtype.kind == "i"
    pred = int_model.predict(X[:20])
    assert pred.dtype.kind == "i" and set(pred.tolist()) <= {0, 1, 2}
    assert 0.0 <= int_model.score(X, y) <= 1.0  # scikit-learn's accuracy on integer labels
    save_model(int_model, tmp_path / "m")
    back = load_model(tmp_path / "m")
    assert back.classes_.tolist() == [0, 1, 2] and back.predict(X[:20]).tolist() == pred.tolist()


def test_probabilities_sum_to_one_as_scikit_learn_checks(int_model, gesture_data):
    X, y, _ = gesture_data
    proba = int_model.predict_proba(X[:30])
    assert proba.dtype == np.float64 and np.allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "The y_prob values do not sum to one" was warned on every fold
        log_loss(y[:30], proba, labels=int_model.classes_)


def test_clone_keeps_the_fitted_model_to_fine_tune_from(int_model, gesture_data):
    X, y, people = gesture_data
    start = PoseActionClassifier(**TINY, encoder_from=int_model)
    assert clone(start).encoder_from is int_model  # not an unfitted copy of it
    scores = cross_val_score(start, X, y, groups=people, cv=GroupKFold(2))
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


@pytest.mark.parametrize("params, says", [
    ({"C": -1}, "C must be a number > 0"), ({"epochs": 0}, "epochs must be a whole number"),
    ({"window": 0}, "window must be a whole number"), ({"validation_fraction": 1.5}, "validation_fraction"),
    ({"dropout": 1.0}, "dropout must be a number in"), ({"learning_rate": float("nan")}, "learning_rate"),
    ({"epochs": 2.5}, "epochs must be a whole number"), ({"layout": "bogus"}, "unknown keypoint layout 'bogus'"),
    ({"frame_max": 3}, "frame_max must be 0, 1 or 2"), ({"frame_max": "2"}, "frame_max must be 0, 1 or 2"),
])
def test_parameters_are_checked_before_any_training(params, says, gesture_data, monkeypatch):
    X, y, people = gesture_data

    def never(*_, **__):
        raise AssertionError("training started")

    monkeypatch.setattr(PoseActionClassifier, "_fit_encoder", never)
    with pytest.raises((ValueError, KeypointFormatError), match=says):
        PoseActionClassifier(**{**TINY, **params}).fit(X, y, people)


def test_answers_of_no_class_cannot_be_class_names(gesture_data):
    X, y, people = gesture_data
    labels = np.where(y == 0, "unknown", "other")
    with pytest.raises(ValueError, match="'unknown' cannot be a class"):
        PoseActionClassifier(**TINY).fit(X, labels, people)


def test_fit_leaves_the_callers_torch_random_numbers_alone(gesture_data):
    X, y, people = gesture_data
    torch.manual_seed(123)
    before = torch.get_rng_state()
    PoseActionClassifier(**TINY, random_state=7).fit(X[:60], y[:60], people[:60])
    assert torch.equal(torch.get_rng_state(), before)


def test_each_get_model_is_its_own_copy():
    first = get_model("mp_gestures")
    first.set_params(tta_mirror=False)
    second = get_model("mp_gestures")
    assert second is not first and second.tta_mirror is True


def test_load_model_names_what_reads_a_shipped_name():
    with pytest.raises(ModelBundleError, match="get_model"):
        load_model("mp_gestures")


def test_predict_action_refuses_bad_arguments_in_one_clear_error(videos, int_model):
    clip = videos / "seed_test_7.mp4"
    for kwargs, says in [({"top_k": "3"}, "top_k must be a whole number"), ({"top_k": 0}, "top_k"),
                         ({"stride": 1.5}, "stride must be a whole number"), ({"smoothing": 0}, "smoothing"),
                         ({"max_frames": 0}, "max_frames must be a whole number of at least 1 or None")]:
        with pytest.raises(ValueError, match=says):
            predict_action(clip, **kwargs)
    with pytest.raises(TypeError, match="video must be a video file path or a KeypointSequence, got int"):
        predict_action(123)
    with pytest.raises(NotFittedError):
        predict_action(clip, model=PoseActionClassifier())


def test_predict_action_reads_a_keypoint_file_as_the_command_line_does():
    result = predict_action(PROJECT / "examples" / "keypoints" / "p48_thanks.npz", model="mp_gestures")
    assert result.label == "thanks" and result.frames_read == 30


def test_skeleton_file_indexing_as_a_sequence_type(shared):
    sf = SkeletonFile(shared / "skeletons" / "utd_mhad.npz")
    last = sf.sequence(-1)
    assert np.array_equal(last.pose, sf.sequence(len(sf) - 1).pose) and last.label == sf.labels[-1]
    with pytest.raises(IndexError, match=f"it holds {len(sf)}"):
        sf.sequence(len(sf))
    with pytest.raises(DatasetLayoutError, match="is a folder; a skeleton set is one .npz file"):
        SkeletonFile(shared / "skeletons")


def test_a_keypoint_sequence_prints_in_one_line_and_may_be_empty(gestures):
    seq = load_batch(gestures / "p01.npz")[0]
    text = repr(seq)
    assert "\n" not in text and "frames=30" in text and "label='hello'" in text and len(text) < 200
    empty = KeypointSequence(pose=np.zeros((0, 33, 4)))
    assert len(empty) == 0 and empty.pose_present.shape == (0,)


def test_a_hands_model_on_keypoints_without_hands_warns_in_one_line(videos, tmp_path, capsys):
    from posehar.cli import main

    out = tmp_path / "body.npz"
    assert main(["pose", str(videos / "seed_test_6.mp4"), "--keypoints", "body", "-o", str(out)]) == 0
    with pytest.warns(UserWarning, match="the model reads hands and .* has none"):
        predict_action(out, model="mp_gestures")
    capsys.readouterr()
    assert main(["predict", str(out), "--model", "mp_gestures"]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warned) == 1 and warned[0].startswith("posehar: warning: the model reads hands")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a body model: nothing to warn about
        predict_action(out)
