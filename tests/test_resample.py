"""Frame-rate changes: low-rate recordings are interpolated up, never read as stop-and-jump motion."""

from __future__ import annotations

import numpy as np
import pytest

from posehar.datasets.skeleton_file import SkeletonFile
from posehar.features import resample
from posehar.layouts import COMMON_BODY
from posehar.sequence import load_batch

SEEN = COMMON_BODY.visibility


def _repeated(seq, fps: float):
    """The frames a nearest-frame resampling gives (what posehar read before)."""
    n = int(round(len(seq) / seq.fps * fps))
    out = seq.take(np.minimum((np.arange(n) * seq.fps / fps).round().astype(np.int64), len(seq) - 1))
    out.fps = fps
    return out


@pytest.fixture(scope="module")
def utd(shared):
    return SkeletonFile(shared / "skeletons" / "utd_mhad.npz")


def test_a_10_fps_recording_read_at_30_moves_as_the_30_fps_recording_does(utd):
    seq = utd.sequence(5)  # a Kinect clip at 30 fps, every joint seen
    assert seq.fps == 30.0 and seq.pose[..., SEEN].all()
    low = seq.every(3)
    up, rep = resample(low, 30.0), _repeated(low, 30.0)
    n = min(len(up), len(seq)) - 2
    err_up = np.abs(up.pose[:n, :, :2] - seq.pose[:n, :, :2]).mean()
    err_rep = np.abs(rep.pose[:n, :, :2] - seq.pose[:n, :, :2]).mean()
    assert err_up < 0.5 * err_rep
    # the wrists never stop between two recorded frames: no frame-to-frame step is zero
    wrists = up.pose[:n, 5:7, :2]
    still = np.abs(np.diff(wrists, axis=0)).sum(axis=(1, 2)) == 0
    assert still.mean() < 0.05 < np.mean(np.abs(np.diff(rep.pose[:n, 5:7, :2], axis=0)).sum(axis=(1, 2)) == 0)
    # the recorded frames themselves are kept as they were
    assert np.allclose(up.pose[::3][: len(low)], low.pose[: len(up.pose[::3])])


def test_an_unseen_joint_is_never_mixed_with_a_seen_one(shared):
    penn = SkeletonFile(shared / "skeletons" / "penn_action.npz")
    seq = next(s for s in (penn.sequence(i) for i in range(200))
               if (~s.pose[..., SEEN].astype(bool)).any() and s.pose[..., SEEN].any())
    up = resample(seq.every(3), 30.0)
    flags = up.pose[..., SEEN]
    assert set(np.unique(flags)) <= {0.0, 1.0}
    assert np.all(up.pose[..., :2][flags == 0] == 0)  # unseen: zeros, as the source reads
    d = COMMON_BODY.depth
    assert set(np.unique(up.pose[..., d + 1])) <= {0.0, 1.0}


def test_hands_absent_in_either_frame_are_not_interpolated(gestures):
    seq = next(s for s in load_batch(gestures / "p48.npz") if 0 < s.right_present.mean() < 1)
    low = seq.every(3)
    up = resample(low, 30.0)
    assert np.all(up.right_hand[~up.right_present] == 0)
    # a frame a third of the way from recorded frame k to k + 1: a third of the way when both hold the hand
    k = np.arange(len(low) - 1)
    both = low.right_present[k] & low.right_present[k + 1]
    assert both.sum() >= 3
    expected = (2 * low.right_hand[k] + low.right_hand[k + 1]) / 3
    assert np.allclose(up.right_hand[3 * k + 1][both], expected[both], atol=1e-6)
    # where either lacks it, the nearest recorded frame's hand as it is (zeros when absent)
    assert np.array_equal(up.right_hand[3 * k + 1][~both], low.right_hand[k][~both])


def test_a_faster_camera_keeps_its_nearest_frames(utd):
    seq = utd.sequence(3)
    seq.fps = 60.0
    down = resample(seq, 30.0)
    assert down.fps == 30.0 and len(down) == pytest.approx(len(seq) / 2, abs=1)
    rows = [int(np.flatnonzero((seq.pose == frame).all(axis=(1, 2)))[0]) for frame in down.pose]
    assert rows == sorted(rows) and all(b - a == 2 for a, b in zip(rows, rows[1:]))
