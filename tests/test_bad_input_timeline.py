"""Bad input, timelines (issue 20, item 5): very low frame rates and large strides give a clean
timeline: no IndexError, no zero-length segments, equal neighbours merged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posehar.predict import predict_action
from posehar.sequence import KeypointSequence, load_batch


def long_sequence(gestures: Path, n: int, fps: float, step: int = 1) -> KeypointSequence:
    """``n`` real 30-frame gesture sequences end to end, as if recorded at ``fps`` every ``step`` frames."""
    batch = load_batch(gestures / "p40.npz")[:n]
    cat = lambda name: np.concatenate([getattr(s, name) for s in batch])  # noqa: E731
    t = 30 * len(batch)
    return KeypointSequence(pose=cat("pose"), left_hand=cat("left_hand"), right_hand=cat("right_hand"),
                            frame_indices=np.arange(t) * step, fps=fps, source="long")


def check_timeline(result, last_frame: int) -> None:
    segs = result.timeline
    assert segs, "a sequence longer than the window has a timeline"
    for s in segs:
        assert s.end_frame > s.start_frame and s.end_s > s.start_s, s
    for a, b in zip(segs, segs[1:]):
        assert a.end_frame == b.start_frame, (a, b)
        assert a.label != b.label, (a, b)
    assert segs[0].start_frame == 0 and segs[-1].end_frame == last_frame + 1


@pytest.mark.parametrize("fps", [0.25, 0.5, 1.0, 2.0])
def test_low_fps_sequence(gestures, tiny_model, fps):
    seq = long_sequence(gestures, 4, fps)
    result = predict_action(seq, model=str(tiny_model))
    check_timeline(result, int(seq.frame_indices[-1]))


@pytest.mark.parametrize("stride", [30, 60])
def test_large_stride(gestures, tiny_model, stride):
    """What `predict --stride N` gives on a 30 fps clip: every N-th frame, fps 30/N."""
    seq = long_sequence(gestures, 4, 30.0 / stride, step=stride)
    result = predict_action(seq, model=str(tiny_model))
    check_timeline(result, int(seq.frame_indices[-1]))


def test_equal_labels_merge(gestures, tiny_model):
    seq = long_sequence(gestures, 1, 30.0)
    long = KeypointSequence(pose=np.tile(seq.pose, (6, 1, 1)), left_hand=np.tile(seq.left_hand, (6, 1, 1)),
                            right_hand=np.tile(seq.right_hand, (6, 1, 1)), fps=1.0)
    result = predict_action(long, model=str(tiny_model))
    check_timeline(result, len(long) - 1)
