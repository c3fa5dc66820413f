"""The random-states benchmark: offset 0 is cross_person.py's model, reruns resume, the ensemble
averages the saved probabilities."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import cross_person  # noqa: E402
import random_states  # noqa: E402

TINY = ["--people", "p01-p06", "--folds", "2", "--seeds", "0", "--set", "epochs=1", "hidden_size=8"]


def test_states_resume_and_ensemble(gestures, tmp_path, capsys):
    out = tmp_path / "rs"
    argv = ["--data", str(gestures), *TINY, "--offsets", "0", "7", "--out", str(out)]
    random_states.main(argv)
    first = capsys.readouterr().out
    files = sorted(p.name for p in out.glob("*.npz"))
    assert files == [f"posehar_hands_s0_f{k}_r{r}.npz" for k in (0, 1) for r in (0, 7)]
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*.npz")}

    random_states.main(argv)  # everything is there: nothing is retrained, same report
    assert capsys.readouterr().out == first
    assert stamps == {p: p.stat().st_mtime_ns for p in out.glob("*.npz")}

    runs = [[np.load(out / f"posehar_hands_s0_f{k}_r{r}.npz") for r in (0, 7)] for k in (0, 1)]
    ensemble = np.mean([(r[0]["classes"][(r[0]["proba"] + r[1]["proba"]).argmax(1)] == r[0]["y"]).mean() for r in runs])
    assert f"| ensemble of all 2 (mean probability) | {ensemble:.3f} |" in first

    # offset 0 is exactly the model cross_person.py trains on the same fold
    results = tmp_path / "cp.jsonl"
    cross_person.main(["--data", str(gestures), *TINY, "--models", "posehar_hands", "--results", str(results)])
    capsys.readouterr()
    for rec in map(json.loads, results.read_text().splitlines()):
        r = np.load(out / f"posehar_hands_s0_f{rec['fold']}_r0.npz")
        assert (r["classes"][r["proba"].argmax(1)] == r["y"]).mean() == rec["acc"]
