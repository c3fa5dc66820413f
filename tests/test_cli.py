"""The posehar command line as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import pytest


def posehar(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "posehar", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_help_lists_commands():
    r = posehar("--help")
    assert r.returncode == 0
    for cmd in ("predict", "pose", "overlay", "train", "evaluate"):
        assert cmd in r.stdout


def test_predict_json_and_overlay(tiny_model, videos, tmp_path):
    out = tmp_path / "out.mp4"
    r = posehar("predict", videos / "seed_test_8.mp4", "--model", tiny_model, "--overlay", out, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert abs(sum(d["probabilities"].values()) - 1) < 1e-6 and d["frames_read"] == 57
    assert d["person_fraction"] == 1.0
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 57 and int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 640


def test_a_failed_overlay_loses_no_prediction(tiny_model, videos, tmp_path, monkeypatch, capsys):
    """The result is printed and the timeline saved before the overlay is drawn."""
    import posehar.overlay
    from posehar.cli import main
    from posehar.errors import VideoError

    def broken(*_, **__):
        raise VideoError("cannot open a video writer for o.mp4 (no mp4v encoder)")

    monkeypatch.setattr(posehar.overlay, "write_overlay", broken)
    rc = main(["predict", str(videos / "seed_test_9.mp4"), "--model", str(tiny_model), "--json", "--quiet",
               "--overlay", str(tmp_path / "o.mp4"), "--timeline", str(tmp_path / "t.csv")])
    out, err = capsys.readouterr()
    assert rc == 2 and "no mp4v encoder" in err
    assert json.loads(out)["frames_read"] == 9 and (tmp_path / "t.csv").read_text().startswith("start_s")


def test_overlay_with_max_frames_writes_the_frames_read(videos, tmp_path):
    out = tmp_path / "o.mp4"
    r = posehar("overlay", videos / "seed_test_8.mp4", "-o", out, "--no-label", "--max-frames", 20)
    assert r.returncode == 0, r.stderr
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 20


def test_overlay_warns_when_the_keypoints_come_from_another_video(videos, tmp_path):
    from pathlib import Path

    webcam = Path(__file__).resolve().parent.parent / "examples" / "keypoints" / "p48_hello.npz"
    r = posehar("overlay", videos / "seed_test_8.mp4", "-o", tmp_path / "o.mp4", "--no-label",
                "--keypoints-file", webcam)
    assert r.returncode == 0, r.stderr
    warning = [line for line in r.stderr.splitlines() if line.startswith("posehar: warning:")]
    assert len(warning) == 1 and "p48_hello.npz" in warning[0] and "fps" in warning[0]
    same = posehar("overlay", videos / "seed_test_8.mp4", "-o", tmp_path / "p.mp4", "--no-label")
    assert same.returncode == 0 and "warning" not in same.stderr


def test_pose_command(videos, tmp_path):
    r = posehar("pose", videos / "seed_test_9.mp4", "-o", tmp_path / "s.npz", "--keypoints", "body", "--max-frames", 5)
    assert r.returncode == 0, r.stderr
    assert "(body only: hands not looked for)" in r.stdout and "left hand" not in r.stdout
    from posehar.sequence import KeypointSequence

    assert len(KeypointSequence.load(tmp_path / "s.npz")) == 5


@pytest.mark.parametrize("args, message", [
    (["predict", "missing.mp4"], "video not found"),
    (["pose", "missing.mp4", "-o", "x.npz", "--model-complexity", "2"], "model_complexity=2"),
    (["predict", "PLACEHOLDER", "--model", "no_such_model"], "neither a bundle folder nor a shipped model"),
    (["evaluate", "no_such_model", "."], "neither a bundle folder"),
])
def test_errors_are_one_line(args, message, videos):
    args = [str(videos / "seed_test_9.mp4") if a == "PLACEHOLDER" else a for a in args]
    r = posehar(*args)
    assert r.returncode != 0
    err = r.stderr.strip().splitlines()
    assert "Traceback" not in r.stderr and err[-1].startswith("posehar: error:") and message in err[-1]


def test_train_and_evaluate(gestures, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(1, 9):
        for ext in ("npz", "json"):
            (data / f"p{i:02d}.{ext}").write_bytes((gestures / f"p{i:02d}.{ext}").read_bytes())
    r = posehar("train", data, "-o", tmp_path / "m", "--cv", 2, "--epochs", 2)
    assert r.returncode == 0, r.stderr
    assert "cross-person accuracy" in r.stdout and "train encoder" in r.stderr  # progress bar shown
    r = posehar("evaluate", tmp_path / "m", gestures.parent / "mp_gestures", "--json",
                "--confusion", tmp_path / "cm.png")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["unseen_people"]["n"] > 5000 and 0.34 < d["unseen_people"]["accuracy"] <= 1.0
    assert d["cross_validation"]["protocol"].startswith("grouped 2-fold")
    assert (tmp_path / "cm.png").stat().st_size > 1000
