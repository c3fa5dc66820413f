"""Bad input, messages (issue 20, item 13): MediaPipe's log lines from opening its models never reach
the terminal (they came from its own threads after the graph was built, outside the filter), so a
``live`` error is the last and only line; a failed write names the output, not the hidden temp
file, and leaves no temp file behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from test_bad_input import cli_error, clip_frames, write_video

CHATTER = ("XNNPACK", "inference_feedback_manager", "W0000", "I0000", "absl::InitializeLog")


def chatter(err: str) -> list[str]:
    return [line for line in err.splitlines() if any(c in line for c in CHATTER)]


@pytest.mark.parametrize("keypoints", ["body", "holistic"])
def test_models_opened_after_the_graph_is_built_are_filtered(capfd, videos, keypoints):
    """The lines come from MediaPipe's threads ~0.1 s after the constructor: wait longer, then look."""
    from posehar.pose import PoseSettings, PoseTracker

    capfd.readouterr()
    tracker = PoseTracker(PoseSettings(keypoints=keypoints))
    time.sleep(1.0)  # what predict and live spend between building the graph and the first frame
    err = capfd.readouterr().err
    frame = clip_frames(videos / "seed_test_6.mp4", 1)[0]
    tracker.process(frame)
    tracker.close()
    assert chatter(err + capfd.readouterr().err) == []


def run_cli(*argv: str) -> subprocess.CompletedProcess:
    code = "import sys; from posehar.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items() if k != "POSEHAR_DEBUG"}
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=300, env=env)


def test_live_error_is_the_only_stderr_line(tmp_path):
    proc = run_cli("live", "--source", str(tmp_path / "missing.mp4"))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [proc.stderr.splitlines()[-1]]
    assert proc.stderr.startswith("posehar: error: video not found")


def test_predict_quiet_prints_nothing_on_stderr(videos):
    proc = run_cli("predict", str(videos / "seed_test_9.mp4"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and chatter(proc.stderr) == []


# ------------------------------------------------------------ failed writes: no hidden temp file
def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def refuse_rename(monkeypatch) -> None:
    """os.replace of a hidden temp file fails as a permission error does (naming both paths)."""
    real = os.replace

    def replace(src, dst, *a, **k):
        if Path(src).name.startswith("."):
            raise PermissionError(13, "Permission denied", str(src), None, str(dst))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)


def test_pose_out_permission_error_names_the_output(capsys, videos, tmp_path, monkeypatch):
    refuse_rename(monkeypatch)
    out = tmp_path / "k.npz"
    line = cli_error(capsys, ["pose", str(videos / "seed_test_9.mp4"), "-o", str(out), "--max-frames", "2",
                              "--keypoints", "body"])
    assert line == f"posehar: error: [Errno 13] Permission denied: '{out}'"
    assert hidden(tmp_path) == [] and not out.exists()


def test_sequence_save_disk_full_leaves_no_temp(tmp_path, monkeypatch, gestures):
    from posehar.sequence import load_batch

    seq = load_batch(gestures / "p01.npz")[0]

    def full(fh, **arrays):
        fh.write(b"PK\x03\x04 partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", full)
    with pytest.raises(OSError, match="No space left"):
        seq.save(tmp_path / "k.npz")
    assert hidden(tmp_path) == [] and not (tmp_path / "k.npz").exists()


def test_interrupted_save_leaves_no_temp(tmp_path, monkeypatch, gestures):
    from posehar.sequence import load_batch

    seq = load_batch(gestures / "p01.npz")[0]
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        seq.save(tmp_path / "k.npz")
    assert hidden(tmp_path) == []


def test_store_record_permission_error_names_the_record(tmp_path, monkeypatch):
    from posehar.store import atomic_write_text

    refuse_rename(monkeypatch)
    target = tmp_path / "records" / "abc.json"
    with pytest.raises(PermissionError) as exc:
        atomic_write_text(target, "{}")
    assert str(exc.value) == f"[Errno 13] Permission denied: '{target}'"
    assert hidden(target.parent) == []


def test_overlay_permission_error_names_the_output(capsys, videos, tmp_path, monkeypatch):
    from posehar.sequence import KeypointSequence

    clip = write_video(tmp_path / "v.mp4", clip_frames(videos / "seed_test_6.mp4", 4))
    keypoints = KeypointSequence(pose=np.zeros((4, 33, 4), np.float32), fps=25.0).save(tmp_path / "k.npz")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.mp4"
    refuse_rename(monkeypatch)
    line = cli_error(capsys, ["overlay", str(clip), "-o", str(out), "--keypoints-file", str(keypoints), "--no-label"])
    assert line == f"posehar: error: [Errno 13] Permission denied: '{out}'"
    assert hidden(out_dir) == [] and not out.exists()


def test_overlay_failing_midway_leaves_no_temp(capsys, videos, tmp_path, monkeypatch):
    import posehar.overlay
    from posehar.sequence import KeypointSequence

    clip = write_video(tmp_path / "v.mp4", clip_frames(videos / "seed_test_6.mp4", 4))
    keypoints = KeypointSequence(pose=np.zeros((4, 33, 4), np.float32), fps=25.0).save(tmp_path / "k.npz")
    calls = []

    def full(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(posehar.overlay, "draw_skeleton", full)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    line = cli_error(capsys, ["overlay", str(clip), "-o", str(out_dir / "o.mp4"), "--keypoints-file", str(keypoints),
                              "--no-label"])
    assert "No space left" in line
    assert hidden(out_dir) == [] and list(out_dir.iterdir()) == []
