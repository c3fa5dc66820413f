"""How much posehar's cross-person accuracy depends on its random state, and what averaging the
probabilities of several random states (an ensemble) buys.

Same people, folds and seeds as ``cross_person.py``. For each seed and fold, posehar is trained
once per random state ``seed + offset`` (offset 0 is the very model ``cross_person.py`` trains);
each model's test probabilities are saved in ``--out`` (one .npz per model, seed, fold and state),
so a rerun resumes and trains only what is missing. Prints each state's accuracy, their spread,
and the ensemble's accuracy, paired fold by fold. A benchmark, not a test.

    python benchmarks/random_states.py --model posehar_body --seeds 0 --out rs &   # one seed per core
    python benchmarks/random_states.py --model posehar_body --seeds 1 --out rs &
    wait; python benchmarks/random_states.py --model posehar_body --seeds 0 1 --out rs --report-only
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cross_person import GESTURES, load_data, make_model, parse_set, splits  # noqa: E402


def result_path(out: Path, model: str, seed: int, fold: int, state: int) -> Path:
    return out / f"{model}_s{seed}_f{fold}_r{state}.npz"


def train_missing(args) -> None:
    """Train and save the test probabilities of every (seed, fold, state) not yet in ``--out``."""
    torch.set_num_threads(1)
    X, y, groups, grouped = load_data(args)
    params = parse_set(args.set)
    args.out.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        for k, (tr, te) in enumerate(splits(y, groups, args.folds, grouped, seed)):
            for offset in args.offsets:
                path = result_path(args.out, args.model, seed, k, seed + offset)
                if path.exists():
                    continue
                model = make_model(args.model, seed + offset, params, quick=False)
                clf = model.fit([X[i] for i in tr], y[tr], groups[tr] if grouped else None).model
                proba = clf.predict_proba([X[i] for i in te])
                np.savez(path, proba=proba, y=y[te], classes=clf.classes_)
                print(f"seed {seed} fold {k} state {seed + offset}: acc "
                      f"{(clf.classes_[proba.argmax(1)] == y[te]).mean():.3f}", file=sys.stderr, flush=True)


def _paired(diff: np.ndarray) -> str:
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
    return f"{diff.mean():+.3f} (standard error {se:.3f}; better on {(diff > 0).sum()} of {len(diff)} folds)"


def report(args) -> str:
    """Per-state and ensemble accuracy over the (seed, fold) pairs finished for every state."""
    rows = []  # per (seed, fold): accuracy of each state, then of the ensemble
    for seed in args.seeds:
        for k in range(args.folds):
            paths = [result_path(args.out, args.model, seed, k, seed + o) for o in args.offsets]
            if not all(p.exists() for p in paths):
                continue
            runs = [np.load(p) for p in paths]
            y, classes = runs[0]["y"], runs[0]["classes"]
            accs = [float((classes[r["proba"].argmax(1)] == y).mean()) for r in runs]
            mean_proba = sum(r["proba"] for r in runs) / len(runs)
            rows.append(accs + [float((classes[mean_proba.argmax(1)] == y).mean())])
    if not rows:
        return "no (seed, fold) has results for every state yet"
    acc = np.array(rows)
    single, ensemble = acc[:, :-1], acc[:, -1]
    state_means = single.mean(0)
    lines = [f"{args.model}: {len(acc)} (seed, fold) pairs, random state = seed + offset",
             "", "| offset | accuracy (mean over folds) |", "|---|---|"]
    lines += [f"| {o} | {a:.3f} |" for o, a in zip(args.offsets, state_means)]
    lines += [f"| ensemble of all {len(args.offsets)} (mean probability) | {ensemble.mean():.3f} |", "",
              f"Spread over random states: std {state_means.std(ddof=1) if len(state_means) > 1 else 0:.3f}, "
              f"range {state_means.min():.3f}-{state_means.max():.3f}.",
              f"Ensemble minus the average single model: {_paired(ensemble - single.mean(1))}.",
              f"Ensemble minus offset {args.offsets[0]}: {_paired(ensemble - single[:, 0])}."]
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=("posehar_hands", "posehar_body"), default="posehar_hands")
    p.add_argument("--data", default=str(GESTURES))
    p.add_argument("--people", help="restrict to these people, e.g. p01-p24")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--offsets", type=int, nargs="+", default=[0, 100, 200],
                   help="random state = seed + offset; offset 0 is cross_person.py's model")
    p.add_argument("--set", nargs="*", default=[], help="PoseActionClassifier overrides key=value")
    p.add_argument("--out", type=Path, required=True, help="folder of per-fold probabilities, one per configuration (resumes)")
    p.add_argument("--report-only", action="store_true", help="train nothing; report what --out holds")
    args = p.parse_args(argv)
    args.dataset = "gestures"
    if not args.report_only:
        train_missing(args)
    print(report(args))


if __name__ == "__main__":
    main()
