"""Bad input matrix: every row fails with one clear error (CLI: exit 2, one ``posehar: error:``
line, no traceback; API: a specific exception) or gives a well-defined result."""

from __future__ import annotations

import json
import pickle
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from posehar.bundle import load_model, read_config
from posehar.cli import main
from posehar.errors import (
    DatasetLayoutError,
    KeypointFormatError,
    ModelBundleError,
    PoseModelError,
    VideoError,
)
from posehar.predict import predict_action
from posehar.prediction import NO_PERSON
from posehar.sequence import KeypointSequence, load_batch
from posehar.video import VideoReader


def cli_error(capsys, argv: list[str]) -> str:
    """Run the CLI expecting failure; return its single error line."""
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("posehar: error:")]
    assert len(lines) == 1, err
    return lines[0]


def write_video(path: Path, frames, fps: float = 25.0) -> Path:
    frames = list(frames)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def clip_frames(path: Path, n: int | None = None) -> list[np.ndarray]:
    return [f for _, f in VideoReader(path, max_frames=n)]


@pytest.fixture(scope="module")
def clip(videos: Path) -> Path:
    return videos / "seed_test_6.mp4"


# ---------------------------------------------------------------- video files
def test_missing_path(capsys, tmp_path, tiny_model):
    assert "not found" in cli_error(capsys, ["predict", str(tmp_path / "nope.mp4"), "--model", str(tiny_model)])
    with pytest.raises(VideoError, match="not found"):
        VideoReader(tmp_path / "nope.mp4")


def test_directory(capsys, tmp_path, tiny_model):
    assert "is a directory" in cli_error(capsys, ["predict", str(tmp_path), "--model", str(tiny_model)])


def test_zero_byte_file(capsys, tmp_path, tiny_model):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert "empty (0 bytes)" in cli_error(capsys, ["predict", str(empty), "--model", str(tiny_model)])


def test_truncated_video(capsys, tmp_path, clip, tiny_model):
    data = clip.read_bytes()
    half = tmp_path / "half.mp4"
    half.write_bytes(data[: len(data) // 2])
    line = cli_error(capsys, ["predict", str(half), "--model", str(tiny_model), "--quiet"])
    assert "truncated or corrupt" in line
    with pytest.raises(VideoError, match="truncated"):
        list(VideoReader(half))


def test_text_file_named_mp4(capsys, tmp_path, tiny_model):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n")
    assert "cannot decode" in cli_error(capsys, ["predict", str(fake), "--model", str(tiny_model)])


def test_png_is_refused_as_video(capsys, tmp_path, clip, tiny_model):
    """OpenCV would decode a PNG as a 1-frame 'video'; posehar refuses it as a still image."""
    png = tmp_path / "frame.png"
    cv2.imwrite(str(png), clip_frames(clip, 1)[0])
    assert "still image" in cli_error(capsys, ["predict", str(png), "--model", str(tiny_model)])
    renamed = tmp_path / "frame.mp4"  # by content, not by name
    shutil.copy(png, renamed)
    with pytest.raises(VideoError, match="still image"):
        VideoReader(renamed)


def test_video_with_no_person(capsys, tmp_path, tiny_model):
    """Nobody in any frame: label "no person", empty probabilities, exit 0."""
    video = write_video(tmp_path / "grey.mp4", [np.full((120, 160, 3), 40 + 5 * i, np.uint8) for i in range(12)])
    assert main(["predict", str(video), "--model", str(tiny_model), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["label"] == NO_PERSON and out["probabilities"] == {} and out["person_fraction"] == 0.0


def test_person_leaves_midway(tmp_path, clip, videos, tiny_model):
    frames = clip_frames(clip) + clip_frames(videos / "seed_test_7.mp4")
    frames += [np.zeros_like(frames[0])] * 60
    video = write_video(tmp_path / "leaves.mp4", frames)
    result = predict_action(video, model=str(tiny_model))
    assert result.label != NO_PERSON
    assert len(result.timeline) >= 2
    last = result.timeline[-1]
    assert last.label == NO_PERSON and last.end_frame == len(frames)
    assert last.start_frame >= len(frames) - 60 - 30  # begins near where the person left
    assert all(s.label != NO_PERSON for s in result.timeline[:1])


def test_one_frame_video(capsys, tmp_path, clip, tiny_model):
    video = write_video(tmp_path / "one.mp4", clip_frames(clip, 1))
    assert main(["predict", str(video), "--model", str(tiny_model), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["frames_read"] == 1 and len(out["timeline"]) == 1  # one window, one segment: the whole clip
    assert out["timeline"][0]["label"] == out["label"] and out["timeline"][0]["end_frame"] == 1
    assert abs(sum(out["probabilities"].values()) - 1) < 1e-6


def test_huge_resolution(tmp_path, clip, tiny_model):
    big = [cv2.resize(f, (3840, 2160)) for f in clip_frames(clip, 3)]
    video = write_video(tmp_path / "uhd.mp4", big)
    del big
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = predict_action(video, model=str(tiny_model))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.frames_read == 3 and result.keypoints.frame_size == (3840, 2160)
    assert result.person_fraction > 0
    assert grown_mb < 400, f"peak RSS grew by {grown_mb:.0f} MB for 3 UHD frames"


# ---------------------------------------------------------------- datasets and keypoints
def test_dataset_root_and_split(capsys, tmp_path):
    from posehar.datasets import get_dataset

    assert "does not exist" in cli_error(capsys, ["extract", "ucf101", str(tmp_path / "nope"), "--out", str(tmp_path / "st")])
    assert "class folders" in cli_error(capsys, ["extract", "ucf101", str(tmp_path), "--out", str(tmp_path / "st")])
    with pytest.raises(DatasetLayoutError, match="split must be 1, 2 or 3"):
        get_dataset("ucf101", tmp_path, split=4)


def test_unknown_keypoint_layout(tmp_path):
    meta = {"format_version": 1, "fps": 30.0, "frame_size": [0, 0], "source": "", "layout": "mediapipe_pose",
            "label": None, "meta": {}}
    single = tmp_path / "coco.npz"
    np.savez(single, pose=np.zeros((10, 17, 3), np.float32), posehar_meta=np.array(json.dumps(meta)))
    with pytest.raises(KeypointFormatError, match=r"\(T, 33, 4\)"):
        KeypointSequence.load(single)
    batch = tmp_path / "coco_batch.npz"
    np.savez(batch, pose=np.zeros((2, 10, 17, 3), np.float32), labels=np.array(["a", "b"]))
    with pytest.raises(KeypointFormatError, match="unknown keypoint layout with 17 joints"):
        load_batch(batch)


def test_npz_needing_unsupported_zip_version(tmp_path):
    """A damaged .npz whose entry claims a zip version Python cannot extract (zipfile raises
    NotImplementedError) is a KeypointFormatError naming the file, like any unreadable .npz."""
    good = KeypointSequence(pose=np.random.default_rng(0).random((4, 33, 4), dtype=np.float32)).save(tmp_path / "a.npz")
    raw = bytearray(good.read_bytes())
    entry = raw.index(b"PK\x01\x02")  # first central-directory record; 'version needed' at +6
    raw[entry + 6] = 64
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(raw))
    for loader in (KeypointSequence.load, load_batch):
        with pytest.raises(KeypointFormatError, match=r"bad\.npz is not a readable keypoint \.npz file"):
            loader(bad)


# ---------------------------------------------------------------- model bundles
@pytest.fixture
def bundle(tiny_model: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_model, tmp_path / "bundle"))


def test_truncated_weights(capsys, bundle, clip):
    w = bundle / "encoder.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    assert "checksum" in cli_error(capsys, ["predict", str(clip), "--model", str(bundle)])
    with pytest.raises(ModelBundleError, match="truncated or was edited"):
        load_model(bundle)


@pytest.mark.parametrize("edit", [("encoder", "hidden_size", 64), ("thresholds", "confidence", "high"),
                                  ("feature_config", "hands", False), ("classes", None, ["a", "b"]),
                                  ("classes", None, None), ("classes", None, "hello")])
def test_edited_config_value(bundle, edit):
    cfg_path = bundle / "config.json"
    cfg = json.loads(cfg_path.read_text())
    section, key, value = edit
    if key is None:
        cfg[section] = value
    else:
        cfg[section][key] = value
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelBundleError):
        load_model(bundle)


def test_config_from_another_version(capsys, bundle, clip):
    cfg_path = bundle / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["format_version"] = 99
    cfg_path.write_text(json.dumps(cfg))
    line = cli_error(capsys, ["predict", str(clip), "--model", str(bundle)])
    assert "format version 99" in line and "reads version 1" in line


class _Plant:
    """Unpickling this creates the marker file (as a malicious pickle would run any code)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("name", ["model.pkl", "encoder.pt"])
def test_planted_pickle_is_refused_unread(capsys, bundle, clip, tmp_path, name):
    marker = tmp_path / "pwned"
    (bundle / name).write_bytes(pickle.dumps(_Plant(str(marker))))
    assert name in cli_error(capsys, ["predict", str(clip), "--model", str(bundle)])
    with pytest.raises(ModelBundleError, match="never loads pickle"):
        read_config(bundle)
    with pytest.raises(ModelBundleError):
        load_model(bundle)
    assert not marker.exists()


def test_missing_bundle(capsys, clip, tmp_path):
    line = cli_error(capsys, ["predict", str(clip), "--model", str(tmp_path / "no_model")])
    assert "neither a bundle folder nor a shipped model" in line
    with pytest.raises(ModelBundleError, match="model not found"):
        load_model(tmp_path / "no_model")


def test_model_complexity_2(capsys, clip, tmp_path):
    line = cli_error(capsys, ["pose", str(clip), "-o", str(tmp_path / "k.npz"), "--model-complexity", "2"])
    assert "pose_landmark_heavy.tflite" in line
    from posehar.pose import check_model_available

    with pytest.raises(PoseModelError):
        check_model_available(2)


def test_real_process_stderr_has_no_traceback(tmp_path):
    """The installed entry point, as a user runs it: exit 2 and the error as the last stderr line."""
    proc = subprocess.run([sys.executable, "-m", "posehar", "predict", str(tmp_path / "missing.mp4")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("posehar: error: video not found")
