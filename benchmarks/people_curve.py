"""How cross-person accuracy grows with the number of people trained on (a learning curve).

Same people, folds and seeds as ``cross_person.py``: each fold's test people are fixed, and the
models are trained on the first N of a seeded shuffle of that fold's training people, for each N
in ``--sizes`` (the sets are nested: the 14 people are among the 28, who are among the 43). The
full training set (57-58 people) is cross_person.py's own run: pass its records with ``--full``.
Prints accuracy by N and the gain per doubling of people (least squares on log2 N, over the
(seed, fold) pairs every size has). A benchmark, not a test; ``--results`` resumes.

    python benchmarks/people_curve.py --seeds 0 --results c0.jsonl &   # one seed per core
    python benchmarks/people_curve.py --seeds 1 --results c1.jsonl &
    wait; python benchmarks/people_curve.py --merge c0.jsonl c1.jsonl \\
        --full docs/results/cross_person_seed0.jsonl docs/results/cross_person_seed1.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cross_person import ROOT, load_data, load_records, make_model, parse_set, splits  # noqa: E402

MODELS = ("posehar_hands", "posehar_body", "meanstd_hands", "meanstd_body")


def training_people(train_groups: np.ndarray, n: int, seed: int, fold: int) -> np.ndarray:
    """The first ``n`` of a (seed, fold)-seeded shuffle of the fold's training people: nested in n."""
    people = np.unique(train_groups)
    if n > len(people):
        raise ValueError(f"--sizes asks for {n} training people but fold {fold} has only {len(people)}")
    return np.random.default_rng([seed, fold]).permutation(people)[:n]


def run(args) -> None:
    """Train and test every missing (seed, fold, size, model); one JSON line each in ``--results``."""
    torch.set_num_threads(1)
    X, y, groups, _ = load_data(args)
    params = parse_set(args.set)
    done = {(r["seed"], r["fold"], r["size"], r["model"]) for r in load_records([args.results]) if r["params"] == args.set}
    for seed in args.seeds:
        for k, (tr, te) in enumerate(splits(y, groups, args.folds, True, seed)):
            for n in args.sizes:
                keep = set(training_people(groups[tr], n, seed, k))
                rows = np.array([i for i in tr if groups[i] in keep])
                for name in args.models:
                    if (seed, k, n, name) in done:
                        continue
                    model = make_model(name, seed, params, quick=False)
                    model.fit([X[i] for i in rows], y[rows], groups[rows])
                    acc = float((model.predict([X[i] for i in te]) == y[te]).mean())
                    rec = {"seed": seed, "fold": k, "size": n, "model": name, "acc": acc,
                           "params": args.set, "train_people": sorted(keep)}
                    with open(args.results, "a") as f:
                        f.write(json.dumps(rec) + "\n")
                    print(f"seed {seed} fold {k} {n:2d} people: {name:14s} acc {acc:.3f}", file=sys.stderr, flush=True)


def report(records: list[dict], full: list[dict]) -> str:
    """Accuracy by number of training people, and the gain per doubling, per model."""
    acc: dict[tuple[str, int | str], dict[tuple[int, int], float]] = {}
    for r in records:
        acc.setdefault((r["model"], r["size"]), {})[(r["seed"], r["fold"])] = r["acc"]
    for r in full:
        acc.setdefault((r["model"], "all"), {})[(r["seed"], r["fold"])] = r["acc"]
    sizes = sorted({r["size"] for r in records}) + (["all"] if full else [])
    models = [m for m in MODELS if any((m, s) in acc for s in sizes)]
    full_people = 0.0
    if full:  # the mean number of training people of cross_person's folds
        total = len({p for r in full if r["seed"] == full[0]["seed"] for p in r["people"]})
        full_people = total * (full[0]["key"]["folds"] - 1) / full[0]["key"]["folds"]
    lines = ["| model | " + " | ".join(f"{s} people" if s != "all" else f"all training people ({full_people:.1f})" for s in sizes)
             + " | gain per doubling of people |", "|---|" + "---|" * (len(sizes) + 1)]
    for m in models:
        folds = set.intersection(*(set(acc.get((m, s), {})) for s in sizes))
        if not folds:
            continue
        table = np.array([[acc[(m, s)][f] for s in sizes] for f in sorted(folds)])
        n = np.log2([s if s != "all" else full_people for s in sizes])
        slope = np.polyfit(n, table.mean(0), 1)[0] if len(sizes) > 1 else float("nan")
        cells = [f"{a:.3f} ± {sd:.3f}" for a, sd in zip(table.mean(0), table.std(0, ddof=1) if len(table) > 1 else 0 * table[0])]
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {slope:+.3f} |")
    pairs = len(set.intersection(*(set(acc.get((m, s), {})) for m in models for s in sizes))) if models else 0
    lines += ["", f"Mean ± std over {pairs} (seed, fold) pairs; every size is tested on the same test people."]
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "keypoints" / "mp_gestures"))
    p.add_argument("--people", help="restrict to these people, e.g. p01-p24")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--sizes", type=int, nargs="+", default=[14, 28, 43], help="numbers of training people")
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    p.add_argument("--set", nargs="*", default=[], help="PoseActionClassifier overrides key=value")
    p.add_argument("--results", help="JSON-lines file of per-fold results (resumes)")
    p.add_argument("--merge", nargs="+", metavar="RESULTS", help="train nothing: report these --results files")
    p.add_argument("--full", nargs="+", default=[], metavar="RESULTS",
                   help="cross_person.py records of the same seeds: the all-training-people column")
    args = p.parse_args(argv)
    args.dataset = "gestures"
    if args.merge:
        records = load_records(args.merge)
    else:
        if not args.results:
            p.error("--results is required when training")
        run(args)
        records = load_records([args.results])
    seeds = {r["seed"] for r in records}
    full = [r for r in load_records(args.full) if r["seed"] in seeds and r["model"] in MODELS]
    print(report(records, full))


if __name__ == "__main__":
    main()
