"""The example scripts in examples/, run as a user runs them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from posehar import get_model

PROJECT = Path(__file__).resolve().parents[1]


def run_example(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(PROJECT / "examples" / name), *args], check=False, capture_output=True,
                          text=True, cwd=PROJECT, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_teaching_yoga_from_five_clips_a_pose_reads_people_never_seen(shared, tmp_path):
    # body_actions never saw yoga; 5 clips a pose of 4 people (the seed draws them), scored on the other 4
    # people's clips: 0.948, 0.967, 0.924 on seeds 0-2 (mean/std + LR on the same clips 0.875, 0.957, 0.891);
    # a retrained encoder (the 17-joint one of docs/experiments.md) gave 0.865, 0.967, 0.935: one draw moves
    # a seed's figure by 0.08, so the mean over three is what is asserted.
    accuracies = []
    for seed in (0, 1, 2):
        out = run_example("teach_new_actions.py", str(shared / "skeletons" / "yoga_posepilot.npz"), "--shots", "5",
                          "--seed", str(seed), "-o", str(tmp_path / f"yoga{seed}"))
        assert "taught 30 clips (5 per action) of 4 people" in out
        never_seen = out.split("people never seen:")[1]
        accuracies.append(float(re.search(r"accuracy ([0-9.]+) on (\d+) sequences", never_seen).group(1)))
    assert np.mean(accuracies) >= 0.9 and min(accuracies) >= 0.8, accuracies
    model = get_model(tmp_path / "yoga0")
    assert list(model.classes_) == ["chair", "cobra", "downdog", "goddess", "tree", "warrior"]


def test_who_does_what_lists_each_person_of_the_shipped_clip_with_a_timeline():
    out = run_example("who_does_what.py", str(PROJECT / "examples" / "exercise_three_people.avi"),
                      "--max-frames", "40")
    assert "40 frames at 10 fps, 3 people" in out
    people = re.findall(r"^person (\d+): in (\d+) frames", out, flags=re.MULTILINE)
    assert len(people) == 3 and all(int(frames) >= 30 for _, frames in people)
    segments = re.findall(r"^ +([0-9.]+)- *([0-9.]+) s  (\S+)", out, flags=re.MULTILINE)
    assert len(segments) >= 3 and all(float(a) < float(b) <= 4.0 for a, b, _ in segments)
