"""The learning-curve benchmark: nested training people from the fold's training side only,
resume, and the report's columns (including cross_person.py's full-size records)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import cross_person  # noqa: E402
import people_curve  # noqa: E402

SMALL = ["--people", "p01-p09", "--folds", "3", "--seeds", "0"]


def test_curve_trains_nested_people_resumes_and_reports(gestures, tmp_path, capsys):
    results = tmp_path / "curve.jsonl"
    argv = ["--data", str(gestures), *SMALL, "--sizes", "2", "4", "--models", "meanstd_hands", "--results", str(results)]
    people_curve.main(argv)
    first = capsys.readouterr().out
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert sorted((r["fold"], r["size"]) for r in records) == [(k, n) for k in range(3) for n in (2, 4)]
    _, y, groups, _ = cross_person.load_data(argparse.Namespace(dataset="gestures", data=str(gestures), people="p01-p09"))
    for k, (tr, _) in enumerate(cross_person.splits(y, groups, 3, True, 0)):
        small, large = (set(next(r["train_people"] for r in records if r["fold"] == k and r["size"] == n)) for n in (2, 4))
        assert len(small) == 2 and len(large) == 4 and small < large <= set(groups[tr])
    people_curve.main(argv)  # everything is there: nothing is retrained
    assert capsys.readouterr().out == first
    assert len(results.read_text().splitlines()) == 6
    other_people = [a if a != "p01-p09" else "p01-p06" for a in argv]
    people_curve.main(other_people)  # another run in the same file is trained, not taken from the first
    capsys.readouterr()
    assert len(results.read_text().splitlines()) == 12
    results.write_text("\n".join(results.read_text().splitlines()[:6]) + "\n")  # the report below reads the first run

    full = tmp_path / "full.jsonl"
    cross_person.main(["--data", str(gestures), *SMALL, "--models", "meanstd_hands", "--results", str(full)])
    capsys.readouterr()
    png = tmp_path / "curve.png"
    people_curve.main(["--merge", str(results), "--full", str(full), "--plot", str(png)])
    report = capsys.readouterr().out
    row = next(line for line in report.splitlines() if line.startswith("| meanstd_hands |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    by_size = [np.mean([r["acc"] for r in records if r["size"] == n]) for n in (2, 4)]
    by_size.append(np.mean([json.loads(line)["acc"] for line in full.read_text().splitlines()]))
    assert [float(c.split(" ± ")[0]) for c in cells[1:4]] == pytest.approx(by_size, abs=5e-4)
    assert "all training people (6.0)" in report
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
