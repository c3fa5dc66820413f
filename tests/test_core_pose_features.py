"""Pose stage on real clips and the invariances of the features."""

from __future__ import annotations

import os

import numpy as np
import pytest

from posehar.errors import PoseModelError
from posehar.features import FeatureConfig, finger_features, mirror, resample, sequence_features
from posehar.native_log import NativeLogFilter
from posehar.pose import PoseSettings, PoseTracker, extract_keypoints
from posehar.sequence import load_batch


@pytest.fixture(scope="module")
def kick(videos):
    return extract_keypoints(videos / "seed_test_6.mp4", PoseSettings(keypoints="holistic"))


def test_holistic_on_real_clip(kick, videos):
    assert len(kick) > 5 and kick.person_fraction == 1.0
    assert kick.frame_size == (640, 480) and kick.fps == pytest.approx(25.0)
    present = kick.pose[kick.pose_present]
    assert 0.0 < present[..., 0].mean() < 1.0 and (present[..., 3] > 0).any()
    # absent hands are zeros with their flag off, never confused with coordinates
    assert np.all(kick.left_hand[~kick.left_present] == 0)


def test_body_only_and_stride(videos):
    seq = extract_keypoints(videos / "seed_test_8.mp4", PoseSettings(keypoints="body", stride=3, max_frames=6))
    assert len(seq) == 6 and list(seq.frame_indices) == [0, 3, 6, 9, 12, 15]
    assert seq.left_hand is None and seq.fps == pytest.approx(25.0 / 3)


def test_nobody_in_view(videos):
    seq = extract_keypoints(videos / "seed_test_5.mp4", PoseSettings(keypoints="body", max_frames=30))
    assert seq.person_fraction < 0.5


@pytest.mark.parametrize("debug", [False, True])
def test_mediapipe_chatter_is_kept_off_stderr(videos, capfd, monkeypatch, debug):
    """A fresh Holistic graph logs XNNPACK / feedback-manager lines from C++; only POSEHAR_DEBUG shows them."""
    if debug:
        monkeypatch.setenv("POSEHAR_DEBUG", "1")
    capfd.readouterr()
    seq = extract_keypoints(videos / "seed_test_7.mp4", PoseSettings(keypoints="holistic", max_frames=5))
    err = capfd.readouterr().err
    assert len(seq) == 5
    chatter = [line for line in err.splitlines() if "inference_feedback_manager" in line or "XNNPACK" in line]
    assert bool(chatter) == debug


def test_native_log_filter_passes_errors_on(capfd):
    log_filter = NativeLogFilter()
    capfd.readouterr()
    with log_filter.quiet():
        os.write(2, b"W0000 00:00:1.0 123 x.cc:1] chatter\nE0000 00:00:1.0 123 x.cc:2] a real error\n"
                    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\nsomething else\n")
    log_filter.close()
    assert capfd.readouterr().err == "E0000 00:00:1.0 123 x.cc:2] a real error\nsomething else\n"


@pytest.mark.parametrize("complexity", [0, 2])
def test_models_not_shipped_give_clear_error(complexity):
    with pytest.raises(PoseModelError, match="cannot be downloaded offline"):
        PoseTracker(PoseSettings(model_complexity=complexity))


def _moved(seq, dx, dy, k):
    out = seq.take(np.arange(len(seq)))
    for arr, present in ((out.pose, out.pose_present), (out.left_hand, out.left_present), (out.right_hand, out.right_present)):
        arr[present, :, 0] = 0.5 + (arr[present, :, 0] - 0.5) * k + dx
        arr[present, :, 1] = 0.5 + (arr[present, :, 1] - 0.5) * k + dy
    for hand in (out.left_hand, out.right_hand):  # hand z is in x units: it scales with the person
        hand[..., 2] *= k
    return out


def test_features_invariant_to_position_and_size(gestures):
    seq = load_batch(gestures / "p61.npz")[10]
    config = FeatureConfig(velocity=False)
    f0, m0 = sequence_features(seq, config)
    f1, m1 = sequence_features(_moved(seq, 0.1, -0.05, 0.7), config)
    assert np.array_equal(m0, m1)
    assert np.abs(f0 - f1).max() < 1e-3


def test_mirror_swaps_hands_and_is_an_involution(gestures):
    seq = next(s for s in load_batch(gestures / "p48.npz") if s.right_present.any() and not s.left_present.all())
    m = mirror(seq)
    assert np.array_equal(m.left_present, seq.right_present)
    assert np.allclose(m.pose[:, 11, 0][seq.pose_present], 1 - seq.pose[:, 12, 0][seq.pose_present])
    back = mirror(m)
    assert np.allclose(back.pose, seq.pose, atol=1e-6) and np.allclose(back.left_hand, seq.left_hand, atol=1e-6)


def test_resample_keeps_duration(kick):
    r = resample(kick, 30.0)
    assert r.fps == 30.0 and abs(len(r) / 30.0 - len(kick) / kick.fps) < 0.05


def _hands(seq):
    """The detected hands of a sequence, (N, 21, 3) in isotropic units (4:3 frames)."""
    out = []
    for hand, present in ((seq.left_hand, seq.left_present), (seq.right_hand, seq.right_present)):
        h = hand[present].copy()
        h[..., 0] *= 4 / 3
        out.append(h)
    return np.concatenate(out)


def test_finger_features_ignore_hand_rotation_size_and_side(gestures):
    hands = _hands(load_batch(gestures / "p48.npz")[40])
    a = np.radians(40)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    turned = (hands - hands[:, :1]) @ rot.T * 1.7 + 0.3
    flipped = hands * np.array([-1, 1, 1])  # the same hand shape on the other side
    f = finger_features(hands)
    assert f.shape == (len(hands), 30) and np.isfinite(f).all()
    assert np.allclose(finger_features(turned), f, atol=1e-4)
    assert np.allclose(finger_features(flipped), f, atol=1e-4)


@pytest.mark.parametrize("person", ["p05", "p48"])
def test_finger_features_read_the_iloveyou_hand_shape(gestures, person):
    """'I love you' folds the middle and ring fingers and extends index and pinky; 'hello' is a flat hand."""
    batch = load_batch(gestures / f"{person}.npz")
    extension = {label: np.median(np.concatenate([finger_features(_hands(s))[:, 25:] for s in batch if s.label == label]), 0)
                 for label in ("hello", "iloveyou")}
    thumb, index, middle, ring, pinky = extension["iloveyou"]
    assert middle < 0.7 * index and ring < 0.7 * pinky
    assert extension["hello"][2] > 1.4 * middle
