"""Two-person interactions (posehar.pairs, posehar.pair_training) on the real SBU file."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from posehar.errors import DatasetLayoutError, KeypointFormatError, NoPersonError
from posehar.features import FeatureConfig
from posehar.geometry import View
from posehar.pairs import halves, pair_features, pair_from_clips, pair_from_sequences, swap

CONFIG = FeatureConfig(layout="common_pair", hands=False, fingers=False, root_motion=True, depth=True)
SMALL = dict(epochs=6, hidden_size=32, patience=100, verbose=False)  # a brief fit: seconds on 2 cores


@pytest.fixture(scope="module")
def sbu(shared):
    from posehar.pair_training import pair_file

    return pair_file(shared / "skeletons" / "sbu_interaction.npz")


def _pairs(sbu, label):
    return [pair_from_clips(sbu[0].clip(int(i)), sbu[1].clip(int(i))) for i in np.flatnonzero(sbu[0].labels == label)]


def _distance(pair):
    feats, mask = pair_features(pair, CONFIG)
    return feats[mask, CONFIG.block_columns()["pair_distance"][0]]


def test_hugging_brings_the_two_close_and_departing_moves_them_apart(sbu):
    # In shoulder widths of person A: every hugging recording comes within 2 (median 0.8), while
    # exchanging an object keeps them at arm's length (every one's closest is over 2).
    assert all(_distance(p).min() < 2.0 for p in _pairs(sbu, "hugging"))
    assert all(_distance(p).min() > 2.0 for p in _pairs(sbu, "exchanging object"))
    for pair in _pairs(sbu, "departing"):
        d = _distance(pair)
        q = max(len(d) // 4, 1)
        assert d[-q:].mean() > d[:q].mean() + 1.0  # the last quarter over a shoulder width farther apart


def test_one_camera_for_both_people(sbu):
    a, b = sbu[0].clip(0), sbu[1].clip(0)
    pair = pair_from_clips(a, b, View(yaw=90.0))
    # Seen from the side, people who face each other across the image stand one behind the other:
    # their centres' image distance shrinks. Each person moved alone (own pivot) would not show it.
    assert np.median(_distance(pair)) < 0.5 * np.median(_distance(pair_from_clips(a, b)))
    first, second = halves(pair)
    assert first.layout == second.layout == "common_body" and len(first) == len(a)


def test_mirror_swaps_left_and_right_within_each_person(sbu):
    from posehar.features import mirror

    pair = pair_from_clips(sbu[0].clip(0), sbu[1].clip(0))
    m = mirror(pair)
    # a_left_shoulder (1) <- a_right_shoulder (2); b_left_shoulder (14) <- b_right_shoulder (15); A stays A.
    np.testing.assert_array_equal(m.pose[:, 1, 1], pair.pose[:, 2, 1])
    np.testing.assert_array_equal(m.pose[:, 14, 1], pair.pose[:, 15, 1])
    np.testing.assert_array_equal(m.pose[:, 0, 0], -pair.pose[:, 0, 0])


@pytest.fixture(scope="module")
def small_model(sbu):
    """A pair model on 3 classes, trained briefly on the pairs of folds 2-5 (fold 1 held out)."""
    from posehar.classifier import PoseActionClassifier
    from posehar.datasets.skeleton_file import cross_subject_folds
    from posehar.pair_training import pair_file_sequences, pair_params

    keep = np.isin(sbu[0].labels, ["hugging", "kicking", "punching"])
    train, test = cross_subject_folds(sbu[0].subjects, 5, 0)[0]
    X, y, g = pair_file_sequences(sbu, train[keep[train]], both_orders=True)
    clf = PoseActionClassifier(**{**pair_params(), **SMALL}).fit(X, y, g)
    Xt, yt, gt = pair_file_sequences(sbu, test[keep[test]])
    assert not set(gt) & set(g)
    return clf, Xt, np.asarray(yt)


def test_order_of_the_two_people_does_not_change_the_answer(small_model):
    clf, Xt, _ = small_model
    pairs = Xt[:6]
    np.testing.assert_allclose(clf.predict_proba(pairs), clf.predict_proba([swap(p) for p in pairs]), atol=1e-6)
    spans, proba, _ = clf.window_proba(pairs[0])
    np.testing.assert_allclose(proba, clf.window_proba(swap(pairs[0]))[1], atol=1e-6)
    # Not trivially so: one order alone reads differently (the features are not symmetric).
    one = [clf._proba_from_items(clf.window_items(p)[1]) for p in (pairs[0], swap(pairs[0]))]
    assert np.abs(one[0] - one[1]).max() > 1e-4


def test_brief_pair_model_beats_chance_on_held_out_pairs(small_model):
    clf, Xt, yt = small_model
    assert len(Xt) >= 15
    assert np.mean(clf.predict(Xt) == yt) > 0.6  # chance is 1/3


def test_pair_model_refuses_one_person_input(small_model, sbu, videos):
    from posehar.errors import PoseharError
    from posehar.predict import predict_action

    clf, _, _ = small_model
    one = halves(pair_from_clips(sbu[0].clip(0), sbu[1].clip(0)))[0]
    with pytest.raises(KeypointFormatError, match="pairs of people"):
        clf.predict([one])
    with pytest.raises(PoseharError, match="people='all'"):
        predict_action(videos / "seed_test_8.mp4", model=clf)  # refused before any frame is read


def test_mismatched_lengths_are_refused(sbu):
    a, b = sbu[0].clip(0), sbu[1].clip(1)
    assert len(a) != len(b)
    with pytest.raises(KeypointFormatError, match="same frames"):
        pair_from_clips(a, b)
    sa, sb = halves(pair_from_clips(a, sbu[1].clip(0)))
    with pytest.raises(KeypointFormatError, match="same frames"):
        pair_from_sequences(sa, sb.slice(0, len(sb) - 1))


def test_fewer_than_two_people_tracked_is_a_clear_error(sbu):
    from posehar.multipose.people import PersonTrack, longest_together

    a, b = halves(pair_from_clips(sbu[0].clip(0), sbu[1].clip(0)))
    with pytest.raises(NoPersonError, match="1 person was tracked"):
        longest_together([PersonTrack(1, len(a), [0, 0, 1, 1], a)])
    third = b.slice(0, len(b))
    third.pose_present = np.zeros(len(b), bool)
    first, second, frames = longest_together([PersonTrack(2, len(b), [0, 0, 1, 1], b),
                                              PersonTrack(3, 0, [0, 0, 1, 1], third),
                                              PersonTrack(1, len(a), [0, 0, 1, 1], a)])
    assert (first.id, second.id, frames) == (1, 2, len(a))


def test_one_person_file_with_pairs_is_a_one_line_error(shared, tmp_path):
    from posehar.pair_training import pair_file

    with pytest.raises(DatasetLayoutError, match="one person per sequence"):
        pair_file(shared / "skeletons" / "utd_mhad.npz")
    r = subprocess.run([sys.executable, "-m", "posehar", "train", str(shared / "skeletons" / "utd_mhad.npz"), "-o",
                        str(tmp_path / "m"), "--pairs"], capture_output=True, text=True)
    assert r.returncode != 0
    assert r.stderr.strip().startswith("posehar: error:") and "one person per sequence" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_tracked_pair_gets_one_label_probabilities_and_timeline(small_model, sbu):
    import json

    from posehar.multipose.people import PeopleKeypoints, PersonTrack, predict_pair

    clf, _, _ = small_model
    i = int(np.flatnonzero(sbu[0].labels == "hugging")[0])
    a, b = halves(pair_from_clips(sbu[0].clip(i), sbu[1].clip(i)))
    alone = a.slice(0, len(a))
    alone.pose_present = np.zeros(len(a), bool)
    alone.pose_present[:3] = True  # a third person, in view with the others for 3 frames only
    found = PeopleKeypoints([PersonTrack(1, 3, [0, 0, 9, 9], alone), PersonTrack(2, len(a), [0, 0, 9, 9], a),
                             PersonTrack(3, len(b), [0, 0, 9, 9], b)], len(a), a.fps, (640, 480), "sbu", {})
    result = predict_pair(found, clf)
    d = json.loads(result.to_json())
    (pair,) = d["pairs"]
    assert pair["ids"] == [2, 3] and pair["frames"] == len(a)
    assert set(pair["probabilities"]) == set(clf.classes_) and abs(sum(pair["probabilities"].values()) - 1) < 1e-6
    assert d["label"] == pair["label"] and [p["id"] for p in d["people"]] == [2, 3]
    assert isinstance(pair["timeline"], list)
