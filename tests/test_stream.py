"""Streaming prediction: bounded buffer, same results as the batch path, CLI timeline and overlay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posehar.bundle import load_model
from posehar.cli import main
from posehar.predict import predict_action
from posehar.sequence import KeypointSequence, load_batch
from posehar.stream import KeypointSink, StreamingClassifier, stream_windows


@pytest.fixture(scope="module")
def clf(tiny_model: Path):
    return load_model(tiny_model)


@pytest.fixture(scope="module")
def long_seq(gestures: Path) -> KeypointSequence:
    """Ten real 30-frame gestures of an unseen person back to back, then 40 frames of nobody."""
    batch = load_batch(gestures / "p20.npz")[:10]
    pose = np.concatenate([s.pose for s in batch] + [np.zeros((40, 33, 4), np.float32)])
    left = np.concatenate([s.left_hand for s in batch] + [np.zeros((40, 21, 3), np.float32)])
    right = np.concatenate([s.right_hand for s in batch] + [np.zeros((40, 21, 3), np.float32)])
    return KeypointSequence(pose=pose, left_hand=left, right_hand=right, fps=30.0, source="p20x10")


def rows(seq: KeypointSequence):
    for i in range(len(seq)):
        flags = (bool(seq.pose_present[i]), bool(seq.left_present[i]), bool(seq.right_present[i]))
        yield int(seq.frame_indices[i]), seq.pose[i], seq.left_hand[i], seq.right_hand[i], flags


def test_windows_match_batch_path(clf, long_seq):
    streamer = StreamingClassifier(clf, long_seq.fps)
    windows = list(stream_windows(rows(long_seq), streamer))
    assert streamer.buffer.pose.shape[0] == clf.window  # memory: one window, whatever the length
    spans, proba, _ = clf.window_proba(long_seq)
    assert [(w.start_frame, w.end_frame) for w in windows] == spans
    # Body scale is per window when streaming, per sequence in batch: close, not bit-identical.
    present = np.array([w.present for w in windows]) >= 0.5
    got = np.stack([w.proba for w in windows])
    assert np.abs(got[present] - proba[present]).max() < 0.1
    assert (got[present].argmax(1) == proba[present].argmax(1)).mean() >= 0.9
    assert windows[-1].present == 0.0 and windows[-1].novelty == np.inf


def test_sink_grows_past_capacity(tmp_path, long_seq):
    sink = KeypointSink(tmp_path, capacity=4, hands=True)
    for row in list(rows(long_seq))[:50]:
        sink.append(*row)
    seq = sink.sequence(30.0, (640, 480), "x")
    assert len(seq) == 50 and np.array_equal(seq.pose, long_seq.pose[:50])
    assert len(list(tmp_path.glob("*/pose.*.npy"))) == 1


def test_two_runs_into_one_keypoints_dir_keep_their_own_keypoints(tmp_path, long_seq):
    """Memmaps of two runs of one length (one capacity) sharing a folder: neither writes over the other's,
    nor over a file of the caller's with the same name."""
    (tmp_path / "pose.20.npy").write_bytes(b"mine")
    first, second = KeypointSink(tmp_path, capacity=20, hands=False), KeypointSink(tmp_path, capacity=20, hands=False)
    all_rows = list(rows(long_seq))
    for row in all_rows[:20]:
        first.append(*row)
    kept = first.sequence(30.0, (640, 480), "a")
    for row in all_rows[20:40]:
        second.append(*row)
    assert np.array_equal(kept.pose, long_seq.pose[:20])
    assert np.array_equal(second.sequence(30.0, (640, 480), "b").pose, long_seq.pose[20:40])
    assert (tmp_path / "pose.20.npy").read_bytes() == b"mine" and first.folder != second.folder


def test_stream_matches_batch_on_real_clip(clf, videos):
    video = videos / "seed_test_7.mp4"
    a = predict_action(video, model=clf, streaming=False)
    b = predict_action(video, model=clf, streaming=True)
    assert b.keypoints is None and (a.label, a.frames_read) == (b.label, b.frames_read)
    assert max(abs(a.probabilities[k] - b.probabilities[k]) for k in a.probabilities) < 0.02
    assert [(s.start_frame, s.end_frame, s.label) for s in a.timeline] == \
        [(s.start_frame, s.end_frame, s.label) for s in b.timeline]


def test_cli_stream_timeline_and_overlay(tmp_path, tiny_model, videos, capsys):
    outs = [tmp_path / f"t.{ext}" for ext in ("csv", "json", "png")]
    argv = ["predict", str(videos / "seed_test_6.mp4"), "--model", str(tiny_model), "--stream", "--quiet",
            "--overlay", str(tmp_path / "o.mp4")]
    for out in outs:
        argv += ["--timeline", str(out)]
    assert main(argv) == 0
    assert all(o.stat().st_size > 0 for o in outs) and (tmp_path / "o.mp4").stat().st_size > 0
    assert outs[0].read_text().startswith("start_s,end_s,start_frame,end_frame,label,confidence")
    assert isinstance(json.loads(outs[1].read_text()), list)
