"""The per-person audit: it finds, without any model, the people whose iloveyou clips do not show the
"I love you" hand, and reports them with their leave-one-person-out accuracy."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import person_audit  # noqa: E402

from posehar.sequence import load_batch  # noqa: E402


def test_ily_hand_fraction_reads_the_sign(gestures):
    p01 = load_batch(gestures / "p01.npz")
    by_label = {label: person_audit.ily_hand_fraction([s for s in p01 if s.label == label])
                for label in ("hello", "iloveyou", "thanks")}
    assert by_label["iloveyou"] > 0.9 and by_label["hello"] < 0.05 and by_label["thanks"] < 0.05
    p03 = load_batch(gestures / "p03.npz")  # signs 'iloveyou' with an open hand
    assert person_audit.ily_hand_fraction([s for s in p03 if s.label == "iloveyou"]) < 0.05


def test_audit_lists_the_people_without_the_sign(gestures, tmp_path, capsys):
    people = ["p01", "p03", "p24", "p48"]
    for p in people:
        (tmp_path / f"{p}.npz").symlink_to(gestures / f"{p}.npz")
    person_audit.main(["--data", str(tmp_path), "--worst", "4"])
    out = capsys.readouterr().out
    assert "under 5% of hand frames: 2 people (p03,p24)" in out
    rows = [line.split(" | ") for line in out.splitlines() if line.startswith("| p") and line[3].isdigit()]
    assert sorted(r[0].lstrip("| ") for r in rows) == people
    ily = {r[0].lstrip("| "): float(r[5]) for r in rows}
    assert ily["p03"] < 0.05 and ily["p24"] < 0.05 and min(ily["p01"], ily["p48"]) > 0.5
