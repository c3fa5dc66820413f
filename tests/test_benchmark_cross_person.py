"""The cross-person benchmark's bookkeeping: no person on both sides, resume, merge."""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import cross_person  # noqa: E402


def _args(gestures: Path, results: Path, seed: int, folds: int = 3) -> list[str]:
    return ["--data", str(gestures), "--people", "p01-p06", "--folds", str(folds), "--models", "meanstd_hands",
            "--results", str(results), "--seeds", str(seed)]


def test_folds_never_share_a_person(gestures):
    _, y, groups, _ = cross_person.load_data(
        argparse.Namespace(dataset="gestures", data=str(gestures), people="p01-p09"))
    for seed in (0, 1):
        for tr, te in cross_person.splits(y, groups, 3, True, seed):
            assert not set(groups[tr]) & set(groups[te])
            assert len(set(groups[te])) == 3


def test_resume_and_merge(gestures, tmp_path, capsys):
    s0, s1 = tmp_path / "s0.jsonl", tmp_path / "s1.jsonl"
    cross_person.main(_args(gestures, s0, 0))
    first = capsys.readouterr().out
    records = [json.loads(line) for line in s0.read_text().splitlines()]
    assert [(r["seed"], r["fold"]) for r in records] == [(0, 0), (0, 1), (0, 2)]
    assert all(sum(n for n, _ in r["people"].values()) == sum(map(sum, r["cm"])) for r in records)

    cross_person.main(_args(gestures, s0, 0))  # everything is done: nothing is retrained
    assert capsys.readouterr().out == first
    assert len(s0.read_text().splitlines()) == 3

    cross_person.main(_args(gestures, s1, 1))
    capsys.readouterr()
    cross_person.main(["--merge", str(s0), str(s1)])
    merged = capsys.readouterr().out
    assert "seeds [0, 1]" in merged and "(n=6)" in merged
    per_fold = merged.split("Per fold")[1].splitlines()
    fold_row = next(line for line in per_fold if line.startswith("| meanstd_hands |"))
    accs = [json.loads(line)["acc"] for f in (s0, s1) for line in f.read_text().splitlines()]
    assert fold_row == "| meanstd_hands | " + " | ".join(f"{a:.3f}" for a in accs) + " |"

    other = tmp_path / "other.jsonl"
    cross_person.main(_args(gestures, other, 0, folds=2))
    with pytest.raises(SystemExit, match="different runs"):
        cross_person.main(["--merge", str(s0), str(other)])


def test_changed_defaults_are_not_resumed(gestures, tmp_path, monkeypatch, capsys):
    results = tmp_path / "r.jsonl"
    cross_person.main(_args(gestures, results, 0))
    original = cross_person.PoseActionClassifier.__init__.__defaults__
    defaulted = [q.name for q in inspect.signature(cross_person.PoseActionClassifier).parameters.values()
                 if q.default is not inspect.Parameter.empty]
    changed = tuple(0.5 if name == "C" else v for name, v in zip(defaulted, original))
    assert changed != original
    monkeypatch.setattr(cross_person.PoseActionClassifier.__init__, "__defaults__", changed)
    cross_person.main(_args(gestures, results, 0))
    assert len(results.read_text().splitlines()) == 6  # rerun, not reused


def test_paired_difference_matches_folds_by_seed_and_fold():
    def recs(accs):
        return [{"seed": s, "fold": k, "acc": a} for (s, k), a in accs.items()]
    a = recs({(0, 0): 0.9, (0, 1): 0.8, (1, 0): 0.7})
    b = recs({(0, 1): 0.85, (1, 0): 0.6, (0, 0): 0.8})  # another order, one fold worse
    line = cross_person.paired_difference(a, b, "a", "b")
    assert line == "a - b: +0.050 (min -0.050, max +0.100); a better on 2 of 3 folds"
    assert cross_person.paired_difference(a, recs({(2, 0): 0.5}), "a", "b") == "a - b: no shared folds"


def test_per_fold_table_marks_a_fold_a_model_has_not_finished(gestures, tmp_path, capsys):
    results = tmp_path / "r.jsonl"
    cross_person.main(_args(gestures, results, 0))
    lines = results.read_text().splitlines()
    unfinished = [json.dumps({**json.loads(line), "model": "meanstd_body"}) for line in lines[:2]]
    results.write_text("\n".join(lines + unfinished) + "\n")
    capsys.readouterr()
    cross_person.main(["--merge", str(results)])
    per_fold = capsys.readouterr().out.split("Per fold")[1].splitlines()
    accs = [f"{json.loads(line)['acc']:.3f}" for line in lines]
    assert "| model | 0/0 | 0/1 | 0/2 |" in per_fold
    assert f"| meanstd_body | {accs[0]} | {accs[1]} | - |" in per_fold


def test_recordings_keeps_a_fraction_of_every_training_person(gestures, tmp_path, capsys):
    _, y, groups, _ = cross_person.load_data(
        argparse.Namespace(dataset="gestures", data=str(gestures), people="p01-p06"))
    tr, te = next(iter(cross_person.splits(y, groups, 3, True, 0)))
    kept = cross_person.keep_recordings(tr, groups, 0.5, 0, 0)
    assert set(kept) <= set(tr)
    for person in set(groups[tr]):
        assert (groups[kept] == person).sum() == round(0.5 * (groups[tr] == person).sum())

    full, half = tmp_path / "full.jsonl", tmp_path / "half.jsonl"
    cross_person.main(_args(gestures, full, 0))
    cross_person.main(_args(gestures, half, 0) + ["--recordings", "0.5"])
    assert "0.5 of each training person's sequences" in capsys.readouterr().out
    for f, h in zip(*(map(json.loads, p.read_text().splitlines()) for p in (full, half))):
        assert h["train_sequences"] == sum(round(0.5 * n) for n in
                                           np.unique(groups[np.isin(groups, list(h["people"]), invert=True)],
                                                     return_counts=True)[1])
        assert h["train_sequences"] < f["train_sequences"] and h["people"].keys() == f["people"].keys()
    with pytest.raises(SystemExit, match="different runs"):  # half and full runs are not merged into one table
        cross_person.main(["--merge", str(full), str(half)])
