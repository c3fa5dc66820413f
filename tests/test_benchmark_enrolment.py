"""The enrolment benchmark: enrolment clips are kept out of the scored clips, runs resume, and the
table reports what the records hold."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import enrolment  # noqa: E402


def test_enrolment_scores_held_out_clips_resumes_and_reports(gestures, tmp_path, capsys):
    results = tmp_path / "enrol.jsonl"
    argv = ["--data", str(gestures), "--people", "p01-p06", "--folds", "2", "--seeds", "0", "--models",
            "posehar_hands", "--clips", "1", "3", "--set", "epochs=2", "hidden_size=16", "--results", str(results)]
    enrolment.main(argv)
    first = capsys.readouterr().out
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["fold"] for r in records] == [0, 1]
    people = {p: v for r in records for p, v in r["people"].items()}
    assert sorted(people) == [f"p0{i}" for i in range(1, 7)]
    for p, by_k in people.items():
        n = len(np.load(gestures / f"{p}.npz")["labels"])
        assert by_k["1"][0] == n - 3 and by_k["3"][0] == n - 9  # one / three clips per sign held back
        assert all(0 <= c <= total for total, *correct in by_k.values() for c in correct)
    enrolment.main(argv)  # all there: nothing is retrained, the same table
    assert capsys.readouterr().out == first and len(results.read_text().splitlines()) == 2
    row = next(line for line in first.splitlines() if line.startswith("| posehar_hands | 3 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    per_fold = np.array([np.sum([v["3"] for v in r["people"].values()], axis=0) for r in records])
    assert float(cells[3]) == pytest.approx((per_fold[:, 1] / per_fold[:, 0]).mean(), abs=5e-4)
    assert float(cells[4]) == pytest.approx((per_fold[:, 2] / per_fold[:, 0]).mean(), abs=5e-4)
