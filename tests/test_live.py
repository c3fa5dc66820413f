"""Live mode: a file played as a stream; JSON lines, dropped-frame accounting, latency fields."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from posehar.cli import main
from posehar.errors import VideoError
from posehar.live import FrameSource

WINDOW_KEYS = {"event", "time_s", "frame", "label", "confidence", "latency_ms", "fps", "frames", "dropped"}


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_slow_consumer_drops_frames_of_a_realtime_file(videos: Path):
    source = FrameSource(videos / "seed_test_7.mp4", realtime=True)  # 42 frames at 25 fps
    taken = []
    for index, _frame, _t in source:
        taken.append(index)
        time.sleep(0.1)  # 4 source frames' time per frame
    assert source.read == 42 and source.dropped > 10
    assert source.taken + source.dropped == source.read == 42
    assert taken == sorted(taken) and taken[-1] == 41  # always the newest, up to the last


def test_file_without_realtime_drops_nothing(videos: Path):
    source = FrameSource(videos / "seed_test_6.mp4")
    indices = [i for i, _f, _t in source]
    assert indices == list(range(30)) and source.dropped == 0


def test_cli_live_file_as_stream(tmp_path, tiny_model, videos, capsys):
    jsonl, overlay = tmp_path / "live.jsonl", tmp_path / "live.mp4"
    argv = ["live", "--source", str(videos / "exercise_three_people.avi"), "--model", str(tiny_model),
            "--realtime", "--max-frames", "40", "--jsonl", str(jsonl), "--overlay", str(overlay), "--show"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    lines = json_lines(captured.out)
    assert lines == [json.loads(x) for x in jsonl.read_text().splitlines()]
    summary = lines[-1]
    assert summary["event"] == "summary" and summary["frames_read"] == 40
    assert summary["frames_processed"] + summary["dropped"] == 40
    windows = lines[:-1]
    assert len(windows) == summary["windows"]
    if summary["frames_processed"] >= 10:  # 10 fps file: a window is 10 processed frames
        assert windows
    for w in windows:
        assert set(w) == WINDOW_KEYS and w["latency_ms"] > 0 and w["fps"] > 0
        assert w["label"] in {"hello", "iloveyou", "thanks", "unknown", "no person"}
    assert [w["dropped"] for w in windows] == sorted(w["dropped"] for w in windows)
    assert overlay.stat().st_size > 0


def test_cli_live_whole_file_no_drops(tiny_model, videos, capsys):
    assert main(["live", "--source", str(videos / "seed_test_7.mp4"), "--model", str(tiny_model)]) == 0
    lines = json_lines(capsys.readouterr().out)
    summary = lines[-1]
    assert summary["dropped"] == 0 and summary["frames_processed"] == 42
    assert summary["windows"] == len(lines) - 1 == 2  # 25-frame window, 12-frame hop
    for w in lines[:-1]:  # every window reported in full (the realtime test may drop all of them)
        assert set(w) == WINDOW_KEYS and w["latency_ms"] > 0 and w["fps"] > 0
        assert w["label"] in {"hello", "iloveyou", "thanks", "unknown", "no person"}
    assert summary["latency_ms_mean"] > 0 and summary["fps"] > 0


def test_missing_camera_is_a_clear_error(tmp_path, capfd):
    capfd.readouterr()
    with pytest.raises(VideoError, match="cannot open video source 7"):
        FrameSource("7")
    assert capfd.readouterr().err == ""  # said once, by the error: no OpenCV WARN/ERROR lines before it
    with pytest.raises(VideoError, match="not found"):
        FrameSource(tmp_path / "nope.mp4")


def test_an_overlay_that_cannot_be_written_is_an_error_not_a_missing_file(tmp_path):
    import numpy as np

    from posehar.live import _FrameOutput

    (tmp_path / "taken.mp4").mkdir()  # a folder where the video would go: no writer opens there
    output = _FrameOutput(tmp_path / "taken.mp4", 25.0, show=False)
    with pytest.raises(VideoError, match="cannot write the overlay .*taken.mp4"):
        output.write(np.zeros((48, 64, 3), np.uint8))
    output.close()
