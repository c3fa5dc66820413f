"""Enrolment benchmark: how much a few labelled clips of a new person help (``posehar.personalize``).

The cross-person protocol of ``cross_person.py`` (grouped K-fold by person on mp_gestures, the
same folds and random states), then for every test person and every k in ``--clips``: k clips
per sign drawn at random (seeded) are given to ``personalize`` with their labels, and the
adapted model is scored on the person's other clips. The same rows are also scored by the
model without enrolment, so each k is a paired comparison. Prints the table; ``--results``
resumes an interrupted run.

    python benchmarks/enrolment.py --seeds 0 --results e0.jsonl &    # one seed per core ...
    python benchmarks/enrolment.py --seeds 1 --results e1.jsonl &
    wait; python benchmarks/enrolment.py --merge e0.jsonl e1.jsonl
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cross_person import (  # noqa: E402
    GESTURES, load_data, load_records, make_model, parse_set, save_record, saved_records, splits,
)

from posehar.classifier import PoseActionClassifier  # noqa: E402
from posehar.personalize import personalize  # noqa: E402


def enrol_rows(rows: np.ndarray, labels: np.ndarray, k: int, rng) -> np.ndarray:
    """k rows of each class among ``rows`` (all but one where a class has k or fewer)."""
    picked = []
    for c in np.unique(labels[rows]):
        of_c = rows[labels[rows] == c]
        picked.append(rng.choice(of_c, min(k, len(of_c) - 1), replace=False))
    return np.sort(np.concatenate(picked))


def score_person(model, X, y, rows, clips: list[int], strength: float, rng) -> dict:
    """Per k: [held-out clips, correct without enrolment, correct after enrolment]."""
    out = {}
    for k in clips:
        enrol = enrol_rows(rows, y, k, rng)
        rest = np.setdiff1d(rows, enrol)
        test = [X[i] for i in rest]
        adapted = personalize(model, [X[i] for i in enrol], y[enrol], strength=strength)
        out[str(k)] = [len(rest), int((model.predict(test) == y[rest]).sum()),
                       int((adapted.predict(test) == y[rest]).sum())]
    return out


def run(args) -> list[dict]:
    torch.set_num_threads(1)
    X, y, groups, _ = load_data(argparse.Namespace(dataset="gestures", data=args.data, people=args.people))
    params = parse_set(args.set)
    key = {"data": str(args.data), "folds": args.folds, "clips": args.clips, "strength": args.strength,
           "posehar_defaults": repr(sorted(PoseActionClassifier(verbose=False).get_params().items()))}
    if args.people or params:
        key.update(people=args.people, params=repr(sorted(params.items())))
    records = saved_records(args.results, key)
    done = {(r["seed"], r["fold"], r["model"]) for r in records}
    for seed in args.seeds:
        for fold, (tr, te) in enumerate(splits(y, groups, args.folds, True, seed)):
            for name in args.models:
                if (seed, fold, name) in done:
                    continue
                model = make_model(name, seed, params, quick=False).fit([X[i] for i in tr], y[tr], groups[tr]).model
                rng = np.random.default_rng([seed, fold])
                people = {p: score_person(model, X, y, te[groups[te] == p], args.clips, args.strength, rng)
                          for p in np.unique(groups[te])}
                rec = {"key": key, "seed": seed, "fold": fold, "model": name, "people": people}
                records.append(rec)
                save_record(args.results, rec)
                print(f"seed {seed} fold {fold}: {name} done", file=sys.stderr, flush=True)
    return [r for r in records if r["seed"] in args.seeds and r["model"] in args.models]


def markdown(records: list[dict]) -> str:
    """Accuracy on the held-out clips of the test people, without and with enrolment, per k."""
    lines = ["| model | clips per sign | folds | accuracy without enrolment | accuracy after enrolment | "
             "difference (s.e. over folds, folds better) | people at >= 0.95 after |",
             "|---|---|---|---|---|---|---|"]
    for name in sorted({r["model"] for r in records}):
        mine = [r for r in records if r["model"] == name]
        for k in mine[0]["key"]["clips"]:
            per_fold = np.array([np.sum([p[str(k)] for p in r["people"].values()], axis=0) for r in mine])
            before, after = per_fold[:, 1] / per_fold[:, 0], per_fold[:, 2] / per_fold[:, 0]
            d = after - before
            person = {}
            for r in mine:
                for p, v in r["people"].items():
                    person[p] = person.get(p, np.zeros(3)) + v[str(k)]
            good = sum(v[2] / v[0] >= 0.95 for v in person.values())
            lines.append(f"| {name} | {k} | {len(mine)} | {before.mean():.3f} | {after.mean():.3f} | "
                         f"{d.mean():+.3f} ({d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float('nan'):.3f}, "
                         f"{(d > 0).sum()}/{len(d)}) | {good} of {len(person)} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(GESTURES), help="gestures folder (default: ../shared/data/keypoints/mp_gestures)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--models", nargs="+", choices=("posehar_hands", "posehar_body"),
                   default=["posehar_hands", "posehar_body"])
    p.add_argument("--clips", type=int, nargs="+", default=[1, 3, 5], help="enrolment clips per sign")
    p.add_argument("--people", help="restrict to these people, e.g. p01-p24")
    p.add_argument("--set", nargs="*", default=[], help="PoseActionClassifier overrides key=value")
    p.add_argument("--strength", type=float, default=1.0, help="personalize's pull towards the trained head")
    p.add_argument("--results", help="JSON-lines file, appended as folds finish, reused on restart (resume)")
    p.add_argument("--merge", nargs="+", metavar="RESULTS", help="train nothing: print the table of these files")
    args = p.parse_args(argv)
    records = load_records(args.merge) if args.merge else run(args)
    print(markdown(records))


if __name__ == "__main__":
    main()
