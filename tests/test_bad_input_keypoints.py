"""Bad input, keypoint files (issue 20, item 9): through the CLI (``predict X.npz``, ``overlay
--keypoints-file``, ``train DIR``) a damaged or odd keypoint file or sidecar is one
``posehar: error:`` line naming the file, exit 2, never a traceback or a model trained on it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from posehar.sequence import KeypointSequence, load_batch

from test_bad_input import cli_error


@pytest.fixture(scope="module")
def real_seq(gestures: Path) -> KeypointSequence:
    """One real holistic sequence (p01's first clip)."""
    return load_batch(gestures / "p01.npz")[0]


def tampered(path: Path, seq: KeypointSequence, **changes) -> Path:
    """``seq`` saved at ``path``, then its arrays (or, for key ``meta``, its metadata) changed."""
    seq.save(path)
    with np.load(path) as d:
        arrays = {k: d[k] for k in d.files}
    meta = json.loads(str(arrays["posehar_meta"]))
    meta.update(changes.pop("meta", {}))
    arrays["posehar_meta"] = np.array(json.dumps(meta))
    arrays.update(changes)
    np.savez(path, **arrays)
    return path


def predict_error(capsys, tiny_model: Path, path: Path) -> str:
    line = cli_error(capsys, ["predict", str(path), "--model", str(tiny_model)])
    assert str(path) in line, line
    return line


def nan_hand(seq: KeypointSequence) -> np.ndarray:
    hand = seq.left_hand.copy()
    hand[3, 5, 1] = np.nan
    return hand


# ------------------------------------------------------------ predict X.npz (one sequence)
def test_predict_nan_in_a_hand(capsys, tmp_path, real_seq, tiny_model):
    path = tampered(tmp_path / "x.npz", real_seq, left_hand=nan_hand(real_seq))
    assert "left_hand contains NaN or infinite values" in predict_error(capsys, tiny_model, path)


def test_predict_inf_in_a_hand(capsys, tmp_path, real_seq, tiny_model):
    hand = real_seq.right_hand.copy()
    hand[0, 0, 0] = np.inf
    path = tampered(tmp_path / "x.npz", real_seq, right_hand=hand)
    assert "right_hand contains NaN or infinite values" in predict_error(capsys, tiny_model, path)


def test_predict_npy_renamed_npz(capsys, tmp_path, real_seq, tiny_model):
    path = tmp_path / "x.npz"
    with open(path, "wb") as fh:
        np.save(fh, real_seq.pose)
    assert "not a readable keypoint .npz file" in predict_error(capsys, tiny_model, path)


def test_predict_string_valued_pose(capsys, tmp_path, real_seq, tiny_model):
    path = tampered(tmp_path / "x.npz", real_seq, pose=real_seq.pose.astype(str))
    assert "'pose' holds <U" in predict_error(capsys, tiny_model, path)


def test_predict_string_valued_frame_indices(capsys, tmp_path, real_seq, tiny_model):
    path = tampered(tmp_path / "x.npz", real_seq, frame_indices=np.array(["a"] * len(real_seq)))
    assert "'frame_indices' holds <U1 values, not numbers" in predict_error(capsys, tiny_model, path)


def test_predict_zero_frames(capsys, tmp_path, real_seq, tiny_model):
    path = real_seq.slice(0, 0).save(tmp_path / "x.npz")
    assert "holds no frames" in predict_error(capsys, tiny_model, path)


@pytest.mark.parametrize("frame_size", [[1], [], "ab", None])
def test_predict_bad_frame_size(capsys, tmp_path, real_seq, tiny_model, frame_size):
    path = tampered(tmp_path / "x.npz", real_seq, meta={"frame_size": frame_size})
    assert "frame_size" in predict_error(capsys, tiny_model, path)


@pytest.mark.parametrize("fps", ["abc", None, [30]])
def test_predict_fps_not_a_number(capsys, tmp_path, real_seq, tiny_model, fps):
    path = tampered(tmp_path / "x.npz", real_seq, meta={"fps": fps})
    assert "fps" in predict_error(capsys, tiny_model, path)


def test_predict_metadata_not_an_object(capsys, tmp_path, real_seq, tiny_model):
    path = tampered(tmp_path / "x.npz", real_seq)
    with np.load(path) as d:
        arrays = {k: d[k] for k in d.files}
    arrays["posehar_meta"] = np.array("[1, 2]")
    np.savez(path, **arrays)
    assert "posehar_meta is not a JSON object" in predict_error(capsys, tiny_model, path)


# ------------------------------------------------------------ overlay --keypoints-file
@pytest.mark.parametrize("indices", ["negative", "reversed"])
def test_overlay_keypoints_file_with_bad_frame_indices(capsys, tmp_path, real_seq, videos, indices):
    n = len(real_seq)
    frame_indices = np.arange(n) - 5 if indices == "negative" else np.arange(n)[::-1].copy()
    path = tampered(tmp_path / "k.npz", real_seq, frame_indices=frame_indices)
    out = tmp_path / "o.mp4"
    line = cli_error(capsys, ["overlay", str(videos / "seed_test_6.mp4"), "-o", str(out),
                              "--keypoints-file", str(path), "--no-label"])
    assert str(path) in line and "frame_indices must be >= 0 and non-decreasing" in line
    assert not out.exists()


# ------------------------------------------------------------ train DIR (batch files + sidecars)
@pytest.fixture
def data(gestures: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for p in ("p01", "p02", "p03"):
        for suffix in (".npz", ".json"):
            shutil.copy(gestures / f"{p}{suffix}", folder)
    return folder


def train_error(capsys, data: Path, tmp_path: Path, bad: Path) -> str:
    out = tmp_path / "model"
    line = cli_error(capsys, ["train", str(data), "-o", str(out), "--cv", "0", "--epochs", "1"])
    assert str(bad) in line, line
    assert not out.exists()
    return line


def rewrite_batch(path: Path, **changes) -> None:
    with np.load(path) as d:
        arrays = {k: d[k] for k in d.files}
    arrays.update(changes)
    np.savez(path, **arrays)


@pytest.mark.parametrize("content, says", [
    (b"[1, 2, 3]", "must be a JSON object, got list"),
    (b"\xff\xfe{\"fps\": 30}", "invalid JSON"),
    (b"{\"fps\": \"abc\"}", "'fps' must be a number, got 'abc'"),
    (b"{\"fps\": 0}", "fps must be between"),
    (b"{\"subject\": ", "invalid JSON"),
], ids=["list", "not-utf8", "fps-abc", "fps-0", "truncated"])
def test_train_bad_sidecar(capsys, data, tmp_path, content, says):
    sidecar = data / "p02.json"
    sidecar.write_bytes(content)
    assert says in train_error(capsys, data, tmp_path, sidecar)


def test_train_nan_in_a_hand(capsys, data, tmp_path):
    with np.load(data / "p03.npz") as d:
        hand = d["right_hand"].copy()
    hand[7, 2, 0] = np.nan
    rewrite_batch(data / "p03.npz", right_hand=hand)
    assert "right_hand contains NaN or infinite values" in train_error(capsys, data, tmp_path, data / "p03.npz")


def test_train_zero_frames_per_sequence(capsys, data, tmp_path):
    with np.load(data / "p01.npz") as d:
        cut = {k: (d[k][:, :0] if d[k].ndim > 1 else d[k]) for k in d.files}
    rewrite_batch(data / "p01.npz", **cut)
    assert "hold no frames" in train_error(capsys, data, tmp_path, data / "p01.npz")


def test_train_string_valued_pose(capsys, data, tmp_path):
    with np.load(data / "p02.npz") as d:
        pose = d["pose"][:, :2].astype(str)
        rest = {k: d[k][:, :2] for k in ("left_hand", "right_hand")}
    rewrite_batch(data / "p02.npz", pose=pose, **rest)
    assert "'pose' holds <U" in train_error(capsys, data, tmp_path, data / "p02.npz")


def test_train_npy_renamed_npz(capsys, data, tmp_path):
    with np.load(data / "p02.npz") as d:
        pose = d["pose"]
    with open(data / "p02.npz", "wb") as fh:
        np.save(fh, pose)
    assert "not a readable keypoint .npz file" in train_error(capsys, data, tmp_path, data / "p02.npz")
