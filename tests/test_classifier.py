"""PoseActionClassifier on real MediaPipe gesture recordings (../shared/data), small and fast."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posehar.classifier import PoseActionClassifier
from posehar.errors import KeypointFormatError
from posehar.features import mirror
from posehar.sequence import KeypointSequence, load_batch

TRAIN = [f"p{i:02d}" for i in range(1, 13)]   # 12 people
TEST = ["p13", "p14", "p15", "p16"]            # 4 other people


def _load(folder, people):
    X, y, g = [], [], []
    for p in people:
        for s in load_batch(folder / f"{p}.npz"):
            X.append(s)
            y.append(s.label)
            g.append(p)
    return X, np.array(y), np.array(g)


@pytest.fixture(scope="module")
def data(gestures):
    torch.set_num_threads(2)
    return _load(gestures, TRAIN), _load(gestures, TEST)


@pytest.fixture(scope="module")
def fitted(data):
    (X, y, g), _ = data
    return PoseActionClassifier(epochs=6, patience=6, random_state=0, verbose=False).fit(X, y, groups=g)


def test_new_people_accuracy_well_above_chance(data, fitted):
    _, (Xt, yt, _) = data
    assert list(fitted.classes_) == ["hello", "iloveyou", "thanks"]
    acc = float((fitted.predict(Xt) == yt).mean())
    assert acc > 0.6, acc  # chance is 1/3; these 4 people are never seen in training


def test_predict_proba_rows_sum_to_one(data, fitted):
    _, (Xt, _, _) = data
    p = fitted.predict_proba(Xt[:40])
    assert p.shape == (40, 3)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-6)
    assert (p >= 0).all()


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform", "window_proba"])
def test_an_unfitted_model_says_it_is_not_fitted(data, method):
    from sklearn.exceptions import NotFittedError

    _, (Xt, _, _) = data
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(PoseActionClassifier(), method)(Xt[:2] if method != "window_proba" else Xt[0])


def test_same_random_state_same_probabilities(data):
    (X, y, g), (Xt, _, _) = data
    sel = np.isin(g, TRAIN[:3])
    X3, y3, g3 = [x for x, s in zip(X, sel) if s], y[sel], g[sel]
    a = PoseActionClassifier(epochs=2, random_state=7, verbose=False).fit(X3, y3, groups=g3)
    b = PoseActionClassifier(epochs=2, random_state=7, verbose=False).fit(X3, y3, groups=g3)
    np.testing.assert_allclose(a.predict_proba(Xt[:20]), b.predict_proba(Xt[:20]), atol=1e-6)


def test_max_steps_cuts_the_epochs_to_whole_ones_within_the_step_budget(data):
    """A set so large that ``epochs`` would pass ``max_steps`` optimiser steps trains fewer epochs."""
    (X, y, g), _ = data
    sel = np.isin(g, TRAIN[:3])
    X3, y3, g3 = [x for x, s in zip(X, sel) if s], y[sel], g[sel]
    model = PoseActionClassifier(epochs=6, max_steps=25, batch_size=16, early_stopping=False, augment=None,
                                 random_state=0, verbose=False).fit(X3, y3, groups=g3)
    trained = len(X3) - model.history_["validation_sequences"]
    steps_per_epoch = int(np.ceil(trained / 16))
    assert 25 // steps_per_epoch < 6  # the budget binds on this set
    assert len(model.history_["loss"]) == max(1, 25 // steps_per_epoch)
    assert model.history_["best_epoch"] == len(model.history_["loss"]) - 1


@pytest.mark.parametrize("early_stopping, min_validation, stops", [(False, 1, False), (True, 1, True),
                                                                  (True, 10_000, False)])
def test_encoder_kept_is_the_last_epoch_or_with_early_stopping_the_best_validation_epoch(data, early_stopping,
                                                                                          min_validation, stops):
    """Early stopping chooses the epoch only when the validation people hold enough sequences
    (``early_stopping_min_validation``); with fewer, every epoch is trained and the last kept."""
    (X, y, g), _ = data
    sel = np.isin(g, TRAIN[:6])
    X6, y6, g6 = [x for x, s in zip(X, sel) if s], y[sel], g[sel]
    model = PoseActionClassifier(epochs=6, patience=2, early_stopping=early_stopping, validation_fraction=0.34,
                                 early_stopping_min_validation=min_validation, augment=None,
                                 random_state=1,
                                 verbose=False).fit(X6, y6, groups=g6)
    h = model.history_
    val_acc = h["val_accuracy"]
    if stops:
        assert h["best_epoch"] == int(np.argmax(val_acc))
        assert len(h["loss"]) == h["best_epoch"] + 3  # stopped after 2 epochs without gain (this run does stop)
    else:
        assert len(h["loss"]) == 6 and h["best_epoch"] == 5
    # The encoder kept scores on the validation people what the history says of the epoch kept.
    _, val_idx, _ = model._split(np.searchsorted(model.classes_, y6), g6, np.random.default_rng(1))
    items = [model._prepare(X6[i], model.feature_config_) for i in val_idx]
    kept = float((model._head_predict(items) == np.searchsorted(model.classes_, y6[val_idx])).mean())
    assert kept == pytest.approx(val_acc[h["val_epochs"].index(h["best_epoch"])])
    # Without early stopping only the epoch kept is scored on the validation people.
    assert h["val_epochs"] == (list(range(len(h["loss"]))) if stops else [5])


def test_with_few_people_the_encoder_is_refit_on_everyone_after_the_thresholds_are_set(data, fitted, tmp_path):
    """Four people, refit_below_people=8: a first fit holds a person out, whose answers set the 'unknown'
    thresholds, then the encoder and head are fit again on all four; the card says so. By default, or
    with 12 people, there is one fit."""
    from posehar.bundle import save_model

    (X, y, g), _ = data
    sel = np.isin(g, TRAIN[:4])
    X4, y4, g4 = [x for x, s in zip(X, sel) if s], y[sel], g[sel]
    params = dict(epochs=2, early_stopping=False, augment=None, random_state=0, verbose=False)
    refit = PoseActionClassifier(**params, refit_below_people=8).fit(X4, y4, groups=g4)
    once = PoseActionClassifier(**params).fit(X4, y4, groups=g4)  # by default, one fit
    first = refit.history_["refit"]["first_fit"]
    assert refit.history_["refit"]["people"] == 4 and first["validation_sequences"] > 0
    assert first["val_accuracy"] == once.history_["val_accuracy"]  # the same first fit
    assert refit.history_["validation_sequences"] == 0 and "refit" not in once.history_
    assert "refit" not in fitted.history_ and fitted.history_["validation_sequences"] > 0
    # The confidence threshold is the first fit's, set on the held-out person ...
    assert refit.confidence_threshold_ == pytest.approx(once.confidence_threshold_)
    # ... while the encoder kept learned from everyone: its input standardisation is every person's frames.
    frames = np.concatenate([f[m] for f, m in (refit._prepare(x, refit.feature_config_) for x in X4)])
    np.testing.assert_allclose(refit.encoder_.feature_mean.numpy(), frames.mean(0), rtol=1e-4, atol=1e-5)
    assert not np.allclose(once.encoder_.feature_mean.numpy(), frames.mean(0), rtol=1e-4, atol=1e-5)
    # The novelty threshold lies beyond the training people's own windows, as the held-out person's did.
    windows, owner = refit.windowed([refit._prepare(x, refit.feature_config_) for x in X4])
    own = refit._novelty_quantiles(windows, refit._vectors(windows), owner, np.arange(len(X4)))
    assert refit.novelty_threshold_ > own[0] and refit.input_threshold_ > own[1]
    save_model(refit, tmp_path / "four", training={"data": "four people"})
    card = (tmp_path / "four" / "README.md").read_text()
    assert "the encoder is trained twice" in card and "only 4 people (fewer than 8)" in card
    # With validation_fraction=0 nobody is held out, and the card gives that reason.
    none = PoseActionClassifier(epochs=1, augment=None, validation_fraction=0.0, random_state=0, verbose=False)
    save_model(none.fit(X4, y4, groups=g4), tmp_path / "none", training={"data": "four people"})
    card = (tmp_path / "none" / "README.md").read_text()
    assert "on every person (validation_fraction is 0;" in card and "from training people's windows" in card


def test_grouped_validation_split_never_shares_a_person(data):
    (_, y, g), _ = data
    model = PoseActionClassifier(validation_fraction=0.25, random_state=3)
    target = np.searchsorted(np.unique(y), y)
    for seed in range(5):
        tr, va, because = model._split(target, g, np.random.default_rng(seed))
        assert because == ""
        assert len(va) and len(tr)
        assert not set(g[tr]) & set(g[va])
        assert len(tr) + len(va) == len(y)


def test_other_layout_raises(data, fitted):
    seq = KeypointSequence(pose=np.random.default_rng(0).random((30, 20, 3)).astype(np.float32), layout="kinect_v1")
    with pytest.raises(KeypointFormatError):
        fitted.predict([seq])


def test_mirror_twice_is_identity(data):
    (X, _, _), _ = data
    for seq in X[:5]:
        back = mirror(mirror(seq))
        np.testing.assert_allclose(back.pose, seq.pose, atol=1e-6)
        np.testing.assert_allclose(back.left_hand, seq.left_hand, atol=1e-6)
        np.testing.assert_allclose(back.right_hand, seq.right_hand, atol=1e-6)
        np.testing.assert_array_equal(back.left_present, seq.left_present)
        np.testing.assert_array_equal(back.right_present, seq.right_present)
        once = mirror(seq)
        np.testing.assert_array_equal(once.left_present, seq.right_present)


def test_clips_longer_than_the_window_are_read_as_the_head_was_fit(shared):
    """Penn Action clean-and-jerk clips run ~9 s, four 60-frame windows: prediction averages its
    windows, so the head must have been fit on windows too. Fit on whole clips, it called every
    clean-and-jerk a squat (recall 0.0 here; 0.09 on the official split's 15 classes)."""
    from posehar.datasets.skeleton_file import SkeletonFile
    from posehar.skeleton_training import BODY_PARAMS

    sf = SkeletonFile(shared / "skeletons" / "penn_action.npz")
    _, train, test = sf.protocol()
    classes = ["clean_and_jerk", "squat", "golf_swing", "tennis_serve"]
    train, test = train[np.isin(sf.labels[train], classes)], test[np.isin(sf.labels[test], classes)]
    clf = PoseActionClassifier(**BODY_PARAMS, epochs=8, verbose=False)
    clf.fit([sf.sequence(int(i)) for i in train], sf.labels[train])
    long_test = test[sf.labels[test] == "clean_and_jerk"]
    assert np.median([len(sf.clip(int(i))) for i in long_test]) > 3 * clf.window
    pred = clf.predict([sf.sequence(int(i)) for i in long_test])
    assert np.mean(pred == "clean_and_jerk") > 0.7


def test_windowed_splits_each_item_as_prediction_reads_it():
    clf = PoseActionClassifier(window=30)
    items = [(np.arange(100.0)[:, None], np.ones(100, bool)), (np.arange(20.0)[:, None], np.ones(20, bool))]
    windows, owner = clf.windowed(items)
    assert owner.tolist() == [0] * len(clf.windows(100)) + [1]
    assert [w[0][0, 0] for w in windows[:-1]] == [a for a, _ in clf.windows(100)]
    assert len(windows[-1][0]) == 20
