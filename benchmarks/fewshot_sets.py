"""Leave-one-set-out few-shot: can the body-action encoder learn a set it has never seen from k clips?

For each held-out set S (``--sets``, default g3d msrc12 utd_mhad):
1. the encoder is trained on every other shared skeleton set, through the vocabulary, as
   ``models/body_actions`` is (``posehar.training.train_skeleton_sets``; S left out entirely);
2. S's people are split in half (seeded); from the first half, k clips per class (``--shots``,
   default 1 5 10) are drawn; ``posehar.fewshot.fit_from`` fits a logistic regression on the
   encoder's temporal vectors of those clips (S's own labels, all of them);
3. both it and mean/std + logistic regression on the raw joints, fit on the same clips, are
   scored on every sequence of S's other half of the people.
Records go to ``--results`` (JSON lines, resumed); encoders are cached in ``--work``. With ``--inner``
(choosing settings without S's test people), the enrolment half is split again by people: clips
from one part, scored on the other.

    python benchmarks/fewshot_sets.py --results docs/results/fewshot_sets.jsonl
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from set_encoders import EPOCHS, SKELETONS, WORK, encoder_without  # noqa: E402
from skeleton_protocols import MeanStd, people_halves  # noqa: E402

from posehar.datasets.skeleton_file import SkeletonFile  # noqa: E402
from posehar.fewshot import fit_from  # noqa: E402


def shots(sf: SkeletonFile, pool: np.ndarray, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chosen = []
    for label in sorted(set(sf.labels[pool])):
        rows = pool[sf.labels[pool] == label]
        chosen += list(rng.choice(rows, size=min(k, len(rows)), replace=False))
    return np.array(sorted(chosen))


def run(args) -> list[dict]:
    path = Path(args.results) if args.results else None
    records = [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path and path.exists() else []
    have = {(r["set"], r["seed"], r["shots"], r["model"], r.get("inner", False)) for r in records}
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        sf = SkeletonFile(SKELETONS / f"{name}.npz")
        for seed in args.seeds:
            base = None
            enrol, test = people_halves(sf, seed)
            if args.inner:
                enrol, test = people_halves(sf, seed + 1, among=enrol)
            y_test = sf.labels[test]
            for k in args.shots:
                train = shots(sf, enrol, k, seed)
                if (name, seed, k, "posehar", args.inner) not in have:
                    base = base or encoder_without(name, work, args.epochs, seed)
                    taught = [sf.sequence(int(i), layout=base.layout) for i in train]
                    model, _ = fit_from(base, taught, sf.labels[train], cv=0)
                    pred = model.predict([sf.sequence(int(i), layout=base.layout) for i in test])
                    records.append(_record(name, seed, k, "posehar", pred, y_test, len(train), path, args.inner))
                if (name, seed, k, "meanstd", args.inner) not in have:
                    pred = MeanStd(seed).fit(sf, train, seed).predict(sf, test)
                    records.append(_record(name, seed, k, "meanstd", pred, y_test, len(train), path, args.inner))
    if args.clean:
        shutil.rmtree(work, ignore_errors=True)
    return records


def _record(name, seed, k, model, pred, y, n_train, path, inner: bool = False) -> dict:
    rec = {"set": name, "seed": seed, "shots": k, "model": model, "accuracy": float((np.asarray(pred) == y).mean()),
           "n_train": int(n_train), "n_test": int(len(y))}
    if inner:
        rec["inner"] = True
    print(f"{name} seed {seed} {k}-shot {model}: {rec['accuracy']:.4f} ({n_train} clips, {len(y)} tested)", flush=True)
    if path:
        with path.open("a") as fh:
            fh.write(json.dumps(rec) + "\n")
    return rec


def table(records: list[dict]) -> str:
    sets = sorted({r["set"] for r in records})
    ks = sorted({r["shots"] for r in records})
    lines = ["| set (people never seen) | " + " | ".join(f"{k}-shot posehar | {k}-shot mean/std+LR" for k in ks) + " |",
             "|---" * (1 + 2 * len(ks)) + "|"]
    for s in sets:
        cells = []
        for k in ks:
            for m in ("posehar", "meanstd"):
                accs = [r["accuracy"] for r in records if r["set"] == s and r["shots"] == k and r["model"] == m]
                cells.append(f"{np.mean(accs):.3f}" + (f" ± {np.std(accs):.3f}" if len(accs) > 1 else "") if accs else "—")
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", nargs="+", default=["g3d", "msrc12", "utd_mhad"])
    p.add_argument("--shots", nargs="+", type=int, default=[1, 5, 10])
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--epochs", type=int, default=EPOCHS, help=f"encoder epochs (the README's figures: {EPOCHS})")
    p.add_argument("--work", default=str(WORK),
                   help="folder for the leave-one-set-out encoders (reused by later runs with the same --epochs; "
                        "empty it after changing the code)")
    p.add_argument("--clean", action="store_true", help="delete --work at the end")
    p.add_argument("--inner", action="store_true",
                   help="score on people of the enrolment half the clips do not come from (choosing settings); "
                        "the table shows only such records, and without it only the others")
    p.add_argument("--results", help="JSON-lines records (resumed)")
    p.add_argument("--table", nargs="*", help="only print the table of these results files")
    args = p.parse_args(argv)
    if args.table is not None:
        records = [json.loads(x) for f in args.table for x in Path(f).read_text().splitlines() if x.strip()]
    else:
        records = run(args)
    print(table([r for r in records if r.get("inner", False) == args.inner]))


if __name__ == "__main__":
    main()
