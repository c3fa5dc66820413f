"""Nothing lost in training: SIGKILL ``posehar train`` at random points, then rerun.

At every moment the output path is either absent or a complete, valid bundle; temp folders
left by a killed save are cleaned by the next save; the rerun equals an uninterrupted run.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from model_fixtures import tiny_data

from posehar.bundle import load_model, read_config
from posehar.sequence import load_batch

PEOPLE = tuple(f"p{i:02d}" for i in range(1, 9))


def train_cmd(data: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "posehar", "train", str(data), "-o", str(out), "--cv", "0", "--epochs", "2"]


def run_and_watch(cmd: list[str], out: Path, kill_after: float | None) -> tuple[int, int]:
    """Run ``cmd``; while it runs check ``out`` is absent or valid; SIGKILL it after ``kill_after`` s.

    Returns (exit code, number of times a complete bundle was seen).
    """
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    start, seen = time.monotonic(), 0
    while proc.poll() is None:
        if kill_after is not None and time.monotonic() - start >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
        if out.exists():
            read_config(out)  # raises ModelBundleError on a partial bundle
            seen += 1
        time.sleep(0.02)
    rc = proc.wait(timeout=60)
    assert kill_after is not None or rc == 0, proc.stderr.read().decode()[-2000:]
    proc.stderr.close()
    if out.exists():
        read_config(out)
    return rc, seen


@pytest.fixture(scope="module")
def data(gestures: Path):
    folder = tiny_data(gestures, PEOPLE)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_sigkill_then_rerun_gives_the_same_bundle(data: Path, tmp_path: Path):
    ref = tmp_path / "reference"
    t0 = time.monotonic()
    run_and_watch(train_cmd(data, ref), ref, None)
    duration = time.monotonic() - t0

    out = tmp_path / "model"
    rng = random.Random(int(os.environ.get("POSEHAR_KILL_SEED", "0")))
    # One early kill, one late kill (near where the bundle is saved).
    for frac in (rng.uniform(0.2, 0.6), rng.uniform(0.85, 1.0)):
        rc, _ = run_and_watch(train_cmd(data, out), out, kill_after=frac * duration)
        assert rc in (-signal.SIGKILL, 0)
        assert not out.exists() or read_config(out)
    stale = tmp_path / ".model.tmp-999999999"  # as left by a save killed half-way
    stale.mkdir()
    (stale / "encoder.safetensors").write_bytes(b"partial")
    rc, _ = run_and_watch(train_cmd(data, out), out, None)
    assert rc == 0
    assert not list(tmp_path.glob(".model.*")), "temp folders of killed saves were left behind"

    a, b = load_model(ref), load_model(out)
    assert list(a.classes_) == list(b.classes_)
    wa, wb = a.encoder_.state_dict(), b.encoder_.state_dict()
    # Training is seeded; allow float noise from thread scheduling rather than demand bit equality.
    for name in wa:
        np.testing.assert_allclose(wa[name].numpy(), wb[name].numpy(), atol=1e-5, err_msg=name)
    seqs = load_batch(data / "p01.npz")[:40]
    np.testing.assert_allclose(a.predict_proba(seqs), b.predict_proba(seqs), atol=1e-4)
