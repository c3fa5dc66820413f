"""How cross-person accuracy grows with the number of people trained on (a learning curve).

Same people, folds and seeds as ``cross_person.py``: each fold's test people are fixed, and the
models are trained on the first N of a seeded shuffle of that fold's training people, for each N
in ``--sizes`` (the sets are nested: the 14 people are among the 28, who are among the 43). The
full training set (57-58 people) is cross_person.py's own run: pass its records with ``--full``.
Prints accuracy by N and the gain per doubling of people (least squares on log2 N, over the
(seed, fold) pairs every size has). A benchmark, not a test; ``--results`` resumes.

    python benchmarks/people_curve.py --seeds 0 --results c0.jsonl &   # one seed per core
    python benchmarks/people_curve.py --seeds 1 --results c1.jsonl &
    wait; python benchmarks/people_curve.py --merge c0.jsonl c1.jsonl --plot curve.png \\
        --full docs/results/cross_person_seed0.jsonl docs/results/cross_person_seed1.jsonl
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cross_person import (  # noqa: E402
    GESTURES, fit_and_score, load_data, load_records, make_model, parse_set, run_key, save_record, saved_records, splits,
)

MODELS = ("posehar_hands", "posehar_body", "meanstd_hands", "meanstd_body")
GOALS = {"posehar_hands": 0.95, "posehar_body": 0.85}  # issue 4


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
    key = run_key(args, params)  # data, people, folds, overrides and posehar's defaults: what a reused record must share
    done = {(r["seed"], r["fold"], r["size"], r["model"]) for r in saved_records(args.results, key)}
    for seed in args.seeds:
        for k, (tr, te) in enumerate(splits(y, groups, args.folds, True, seed)):
            for n in args.sizes:
                keep = set(training_people(groups[tr], n, seed, k))
                rows = np.array([i for i in tr if groups[i] in keep])
                for name in args.models:
                    if (seed, k, n, name) in done:
                        continue
                    rec = {"key": key, "seed": seed, "fold": k, "size": n, "model": name, "train_people": sorted(keep),
                           **fit_and_score(make_model(name, seed, params, quick=False), X, y, groups, rows, te)}
                    save_record(args.results, rec)
                    print(f"seed {seed} fold {k} {n:2d} people: {name:14s} acc {rec['acc']:.3f}", file=sys.stderr, flush=True)


def curves(records: list[dict], full: list[dict]) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """(numbers of training people, column names, per model a (seed, fold) x size accuracy array),
    over the (seed, fold) pairs that every size of that model has."""
    acc: dict[tuple[str, int | str], dict[tuple[int, int], float]] = {}
    for r in records:
        acc.setdefault((r["model"], r["size"]), {})[(r["seed"], r["fold"])] = r["acc"]
    for r in full:
        acc.setdefault((r["model"], "all"), {})[(r["seed"], r["fold"])] = r["acc"]
    sizes: list = sorted({r["size"] for r in records})
    people = [float(n) for n in sizes]
    names = [f"{n} people" for n in sizes]
    if full:  # cross_person's folds train on (folds - 1) / folds of everybody
        total = len({p for r in full if r["seed"] == full[0]["seed"] for p in r["people"]})
        people.append(total * (full[0]["key"]["folds"] - 1) / full[0]["key"]["folds"])
        names.append(f"all training people ({people[-1]:.1f})")
        sizes.append("all")
    tables = {}
    for m in MODELS:
        folds = set.intersection(*(set(acc.get((m, s), {})) for s in sizes))
        if folds:
            tables[m] = np.array([[acc[(m, s)][f] for s in sizes] for f in sorted(folds)])
    return np.array(people), names, tables


def gain_per_doubling(people: np.ndarray, table: np.ndarray) -> float:
    """Slope of mean accuracy against log2(number of training people), least squares."""
    return float(np.polyfit(np.log2(people), table.mean(0), 1)[0]) if len(people) > 1 else float("nan")


def report(records: list[dict], full: list[dict]) -> str:
    """Accuracy by number of training people, and the gain per doubling, per model."""
    people, names, tables = curves(records, full)
    lines = ["| model | " + " | ".join(names) + " | gain per doubling of people |", "|---|" + "---|" * (len(names) + 1)]
    for m, table in tables.items():
        cells = [f"{a:.3f} ± {sd:.3f}" for a, sd in zip(table.mean(0), table.std(0))]
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {gain_per_doubling(people, table):+.3f} |")
    pairs = ", ".join(f"{m} {len(t)}" for m, t in tables.items())
    lines += ["", f"Mean ± std over (seed, fold) pairs ({pairs}); every size is tested on the same test people."]
    return "\n".join(lines)


def plot(records: list[dict], full: list[dict], out: Path, targets: dict[str, float]) -> Path:
    """Save mean accuracy (± std over folds) against the number of training people as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    people, _, tables = curves(records, full)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for (m, table), colour in zip(tables.items(), plt.get_cmap("tab10").colors):
        ax.errorbar(people, table.mean(0), yerr=table.std(0), marker="o", capsize=3, color=colour,
                    label=f"{m} ({gain_per_doubling(people, table):+.3f} per doubling)")
        if m in targets:
            ax.axhline(targets[m], color=colour, linestyle="--", linewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(people, [f"{n:g}" for n in people])
    ax.set_xlabel("people trained on (log scale)")
    ax.set_ylabel("accuracy on unseen people")
    ax.set_title("Cross-person accuracy against training people (dashed: issue 4 goals)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(out)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(GESTURES))
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
    p.add_argument("--plot", type=Path, help="also save the curves as this PNG")
    args = p.parse_args(argv)
    args.dataset, args.quick, args.recordings = "gestures", False, 1.0  # as cross_person's full run
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
    if args.plot:
        print(f"plot: {plot(records, full, args.plot, GOALS)}")


if __name__ == "__main__":
    main()
