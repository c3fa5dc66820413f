"""Cross-person benchmark: grouped K-fold by person on the MediaPipe gestures data.

Every fold's test people are never seen in training (nor in the encoder's early-stopping
validation split, which is drawn from the training people only). Prints accuracy mean +- std
over folds and seeds, per-class recall, the confusion matrix, training time per fold and
inference speed, for posehar (body+hands and body-only) and two baselines:

* ``meanstd``: mean and std over time of the raw keypoints (pose 33x4 + hands 2x21x3 = 258 per
  frame; pose 132 for body-only) + StandardScaler + LogisticRegression;
* ``lstm``: the popular tutorial stacked LSTM (LSTM 64 -> LSTM 128 -> LSTM 64 (last step) ->
  Dense 64 relu -> Dense 32 relu -> softmax) on the raw 258 values per frame, Adam, early
  stopping on a person-grouped validation split.

Examples (from the repository root)::

    python benchmarks/cross_person.py --seeds 0 1 --results results.jsonl --out results.md
    python benchmarks/cross_person.py --seeds 0 --results s0.jsonl &   # one seed per core ...
    python benchmarks/cross_person.py --seeds 1 --results s1.jsonl &
    python benchmarks/cross_person.py --merge s0.jsonl s1.jsonl        # ... then one table
    python benchmarks/cross_person.py --people p01-p24 --folds 3 --models posehar_hands --set epochs=30
    python benchmarks/cross_person.py --dataset body_actions

``--people`` restricts the run to a subset of people (hyperparameters were chosen on p01-p24
only); ``--report-people`` additionally reports accuracy on those test people alone (by default
p25-p72: the people never used for tuning). ``--set key=value`` overrides a
PoseActionClassifier parameter (``augment.noise=0.02`` for an AugmentConfig field).
``--results`` appends each finished (seed, fold, model) to a JSON-lines file; rerunning the same
command skips what is already there, so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import GroupKFold, GroupShuffleSplit, StratifiedKFold, StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posehar.classifier import PoseActionClassifier  # noqa: E402
from posehar.sequence import load_batch, load_folder  # noqa: E402

MODELS = ("posehar_hands", "posehar_body", "meanstd_hands", "meanstd_body", "lstm")
GESTURES = ROOT.parent / "shared" / "data" / "keypoints" / "mp_gestures"  # default --data of the benchmarks


# ---------------------------------------------------------------- baselines
def raw_frames(seq, hands: bool) -> np.ndarray:
    """The tutorial's per-frame vector: pose 33x4 (+ left, right hand 21x3; zeros when absent)."""
    t = len(seq)
    parts = [seq.pose.reshape(t, -1)]
    if hands:
        for h in (seq.left_hand, seq.right_hand):
            parts.append(np.zeros((t, 63), np.float32) if h is None else h.reshape(t, -1))
    return np.concatenate(parts, axis=1).astype(np.float32)


class MeanStdLogReg:
    """Mean and std over time of the raw keypoints -> StandardScaler -> LogisticRegression."""

    def __init__(self, hands: bool, seed: int):
        self.hands = hands
        self.model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))

    def _x(self, X):
        return np.stack([np.concatenate([f.mean(0), f.std(0)]) for f in (raw_frames(s, self.hands) for s in X)])

    def fit(self, X, y, groups):
        self.model.fit(self._x(X), y)
        return self

    def predict(self, X):
        return self.model.predict(self._x(X))


class _StackedLSTM(torch.nn.Module):
    def __init__(self, input_dim: int, num_classes: int):
        super().__init__()
        self.l1 = torch.nn.LSTM(input_dim, 64, batch_first=True)
        self.l2 = torch.nn.LSTM(64, 128, batch_first=True)
        self.l3 = torch.nn.LSTM(128, 64, batch_first=True)
        self.head = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 32),
                                        torch.nn.ReLU(), torch.nn.Linear(32, num_classes))

    def forward(self, x):
        h, _ = self.l1(x)
        h, _ = self.l2(h)
        h, _ = self.l3(h)
        return self.head(h[:, -1])


class TutorialLSTM:
    """The tutorial model; Adam(1e-3), batch 64, up to ``epochs`` (100) with early stopping (patience 10)."""

    def __init__(self, seed: int, epochs: int = 100, patience: int = 10, frames: int = 30):
        self.seed, self.epochs, self.patience, self.frames = seed, epochs, patience, frames

    def _x(self, X):
        out = np.zeros((len(X), self.frames, 258), np.float32)
        for i, s in enumerate(X):
            f = raw_frames(s, True)[: self.frames]
            out[i, : len(f)] = f
            out[i, len(f):] = f[-1]
        return torch.from_numpy(out)

    def fit(self, X, y, groups):
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.classes_ = np.unique(y)
        target = torch.from_numpy(np.searchsorted(self.classes_, y))
        x = self._x(X)
        if groups is None:  # one person: a stratified validation split
            tr, va = next(StratifiedShuffleSplit(1, test_size=0.15, random_state=self.seed).split(x, y))
        else:
            tr, va = next(GroupShuffleSplit(1, test_size=0.15, random_state=self.seed).split(x, y, groups))
        self.net = _StackedLSTM(x.shape[2], len(self.classes_))
        opt = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        best, best_state, waited = -1.0, None, 0
        self.epochs_run = 0
        for _ in range(self.epochs):
            self.net.train()
            order = rng.permutation(tr)
            for b in range(0, len(order), 64):
                rows = order[b: b + 64]
                loss = torch.nn.functional.cross_entropy(self.net(x[rows]), target[rows])
                opt.zero_grad()
                loss.backward()
                opt.step()
            self.epochs_run += 1
            acc = float((self._logits(x[va]).argmax(1) == target[va]).float().mean())
            if acc > best:
                best, best_state, waited = acc, copy.deepcopy(self.net.state_dict()), 0
            else:
                waited += 1
                if waited >= self.patience:
                    break
        self.net.load_state_dict(best_state)
        return self

    @torch.no_grad()
    def _logits(self, x):
        self.net.eval()
        return torch.cat([self.net(x[s: s + 1024]) for s in range(0, len(x), 1024)])

    def predict(self, X):
        return self.classes_[self._logits(self._x(X)).argmax(1).numpy()]


class Posehar:
    def __init__(self, hands: bool, seed: int, params: dict):
        self.model = PoseActionClassifier(hands=hands, random_state=seed, verbose=False).with_params(**params)

    def fit(self, X, y, groups):
        self.model.fit(X, y, groups=groups)
        return self

    def predict(self, X):
        return self.model.predict(X)


def make_model(name: str, seed: int, params: dict, quick: bool):
    if name.startswith("posehar"):
        return Posehar(name == "posehar_hands", seed, params)
    if name.startswith("meanstd"):
        return MeanStdLogReg(name == "meanstd_hands", seed)
    if name == "lstm":
        return TutorialLSTM(seed, epochs=30 if quick else 100)
    raise ValueError(f"unknown model {name!r}; choose from {MODELS}")


# ---------------------------------------------------------------- protocol
def person_range(spec: str | None) -> set[str] | None:
    """'p01-p24' or 'p01,p05' -> set of person ids."""
    if not spec:
        return None
    out = set()
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            out |= {f"p{i:02d}" for i in range(int(a.lstrip("p")), int(b.lstrip("p")) + 1)}
        else:
            out.add(part)
    return out


def parse_set(items: list[str]) -> dict:
    params: dict = {}
    for item in items:
        key, value = item.split("=", 1)
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass
        if key.startswith("augment."):
            params.setdefault("augment", {})[key.split(".", 1)[1]] = value
        else:
            params[key] = value
    return params


def splits(y, groups, folds: int, grouped: bool, seed: int):
    if grouped:
        # GroupKFold is deterministic; shuffle person order per seed so seeds also vary the folds.
        people = np.unique(groups)
        perm = dict(zip(people, np.random.default_rng(seed).permutation(len(people))))
        return GroupKFold(folds).split(y, y, [perm[g] for g in groups])
    return StratifiedKFold(folds, shuffle=True, random_state=seed).split(y, y)


def keep_recordings(train: np.ndarray, groups: np.ndarray, fraction: float, seed: int, fold: int) -> np.ndarray:
    """A seeded ``fraction`` of each training person's sequences (at least one each)."""
    rng = np.random.default_rng([seed, fold])
    kept = []
    for person in np.unique(groups[train]):
        rows = train[groups[train] == person]
        kept.append(rng.choice(rows, max(1, round(fraction * len(rows))), replace=False))
    return np.sort(np.concatenate(kept))


def load_data(args):
    """(X, y, groups, grouped) of the chosen dataset, restricted to ``--people``."""
    if args.dataset == "gestures":
        X, y, groups = load_folder(args.data)
        keep = person_range(args.people)
        if keep is not None:
            idx = [i for i, g in enumerate(groups) if g in keep]
            X, y, groups = [X[i] for i in idx], [y[i] for i in idx], [groups[i] for i in idx]
        return X, np.asarray(y), np.asarray(groups), True
    X = load_batch(args.data)
    return X, np.asarray([s.label for s in X]), np.asarray(["one_person"] * len(X)), False


def run_key(args, params) -> dict:
    """What makes two fold results comparable: a saved result is reused only when this matches
    (posehar's defaults are part of it, so changing them in the code invalidates old results)."""
    defaults = PoseActionClassifier(verbose=False).get_params()
    key = {"dataset": args.dataset, "data": str(args.data), "people": args.people, "folds": args.folds,
           "quick": args.quick, "params": repr(sorted(params.items())), "posehar_defaults": repr(sorted(defaults.items()))}
    if args.recordings != 1:
        key["recordings"] = args.recordings
    return key


def load_records(paths) -> list[dict]:
    records = []
    for path in paths:
        if Path(path).exists():
            records += [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    return records


def saved_records(path: str | None, key: dict) -> list[dict]:
    """The records of the run ``key`` already in the results file ``path`` (none without a file)."""
    return [r for r in load_records([path] if path else []) if r.get("key") == key]


def save_record(path: str | None, record: dict) -> None:
    """Append ``record`` to the results file ``path`` as one JSON line (nothing without a file)."""
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(record) + "\n")


def fit_and_score(model, X, y, groups, train, test, grouped: bool = True) -> dict:
    """Fit ``model`` on the ``train`` rows, test it on the ``test`` rows: accuracy, confusion matrix
    (columns in sorted class order), per-person [sequences, correct], training time and sequences/s."""
    classes = np.unique(y)
    t0 = time.perf_counter()
    model.fit([X[i] for i in train], y[train], groups[train] if grouped else None)
    t1 = time.perf_counter()
    pred = model.predict([X[i] for i in test])
    t2 = time.perf_counter()
    ok = pred == y[test]
    return {"classes": classes.tolist(), "acc": float(ok.mean()), "train_sequences": len(train),
            "train_s": t1 - t0, "seq_s": len(test) / (t2 - t1),
            "cm": confusion_matrix(y[test], pred, labels=classes).tolist(),
            "people": {p: [int((groups[test] == p).sum()), int(ok[groups[test] == p].sum())]
                       for p in np.unique(groups[test])} if grouped else None}


def run(args) -> list[dict]:
    """Train and test every (seed, fold, model); one record each, appended to ``--results`` as it
    finishes, so an interrupted run resumes where it stopped."""
    torch.set_num_threads(args.threads)
    X, y, groups, grouped = load_data(args)
    params = parse_set(args.set)
    if args.quick:
        params.setdefault("epochs", 12)
    key = run_key(args, params)
    records = saved_records(args.results, key)
    done = {(r["seed"], r["fold"], r["model"]) for r in records}
    models = args.models or (list(MODELS) if grouped else ["posehar_body", "meanstd_body", "lstm"])
    for seed in args.seeds:
        for k, (tr, te) in enumerate(splits(y, groups, args.folds, grouped, seed)):
            if args.recordings != 1:
                tr = keep_recordings(tr, groups, args.recordings, seed, k)
            for name in models:
                if (seed, k, name) in done:
                    continue
                rec = {"key": key, "seed": seed, "fold": k, "model": name,
                       **fit_and_score(make_model(name, seed, params, args.quick), X, y, groups, tr, te, grouped)}
                records.append(rec)
                save_record(args.results, rec)
                print(f"seed {seed} fold {k}: {name:14s} acc {rec['acc']:.3f}  train {rec['train_s']:6.1f} s",
                      file=sys.stderr, flush=True)
    wanted = set(models)
    return [r for r in records if r["model"] in wanted and r["seed"] in args.seeds]


def _per_person(records: list[dict]) -> dict[str, np.ndarray]:
    counts: dict[str, np.ndarray] = {}
    for r in records:
        for person, nc in r["people"].items():
            counts[person] = counts.get(person, np.zeros(2)) + nc
    return counts


# posehar against the baseline it must beat, paired fold by fold
PAIRS = (("posehar_hands", "meanstd_hands"), ("posehar_hands", "lstm"), ("posehar_body", "meanstd_body"))


def _fold_key(record: dict) -> tuple[int, int]:
    return record["seed"], record["fold"]


def paired_difference(first: list[dict], second: list[dict], a: str, b: str) -> str:
    """Mean, min and max of the per-fold accuracy difference first - second, and how often first wins."""
    acc_b = {_fold_key(r): r["acc"] for r in second}
    d = np.array([r["acc"] - acc_b[_fold_key(r)] for r in first if _fold_key(r) in acc_b])
    if not len(d):
        return f"{a} - {b}: no shared folds"
    return (f"{a} - {b}: {d.mean():+.3f} (min {d.min():+.3f}, max {d.max():+.3f}); "
            f"{a} better on {(d > 0).sum()} of {len(d)} folds")


def markdown(records: list[dict], args) -> str:
    """The results table, per-class recall and confusion matrices of a list of fold records."""
    if not records:
        return "no results"
    key = records[0]["key"]
    classes = records[0]["classes"]
    grouped = key["dataset"] == "gestures"
    title = (f"cross-person, grouped {key['folds']}-fold" if grouped else
             f"ONE person (within-person, says nothing about new people), stratified {key['folds']}-fold")
    seeds = sorted({r["seed"] for r in records})
    lines = [f"### {title}", "",
             f"data `{key['data']}`" + (f", people {key['people']}" if key["people"] else "") +
             f"; seeds {seeds}; torch threads {args.threads}" +
             (f"; overrides {key['params']}" if key["params"] != "[]" else "") +
             (f"; {key['recordings']:g} of each training person's sequences" if "recordings" in key else ""), ""]
    per_person = all(r["people"] for r in records)
    report = person_range(args.report_people) if per_person else None
    head = "| model | accuracy mean ± std (folds×seeds) | std of seed means |"
    sep = "|---|---|---|"
    if report is not None:
        untuned = " (untuned people)" if args.report_people == "p25-p72" else ""
        head += f" accuracy on {args.report_people}{untuned} |"
        sep += "---|"
    head += " train s / fold | sequences/s |"
    sep += "---|---|"
    lines += [head, sep]
    by_model: dict[str, list[dict]] = {}
    for r in records:
        by_model.setdefault(r["model"], []).append(r)
    # per model: person -> (sequences, correct), summed over folds and seeds
    people = {name: _per_person(rs) for name, rs in by_model.items()} if per_person else {}
    for name, rs in by_model.items():
        a = np.array([r["acc"] for r in rs])
        seed_means = [np.mean([r["acc"] for r in rs if r["seed"] == s]) for s in sorted({r["seed"] for r in rs})]
        row = f"| {name} | {a.mean():.3f} ± {a.std():.3f} (n={len(a)}) | {np.std(seed_means):.3f} |"
        if report is not None:
            n, c = sum((people[name][q] for q in report if q in people[name]), np.zeros(2))
            row += f" {c / n:.3f} |" if n else " - |"
        row += f" {np.mean([r['train_s'] for r in rs]):.1f} | {np.mean([r['seq_s'] for r in rs]):.0f} |"
        lines.append(row)
    folds = sorted({_fold_key(r) for r in records})
    lines += ["", "Per fold (seed, fold):", "", "| model | " + " | ".join(f"{s}/{k}" for s, k in folds) + " |",
              "|---|" + "---|" * len(folds)]
    for name, rs in by_model.items():
        acc = {_fold_key(r): f"{r['acc']:.3f}" for r in rs}  # a model may lack folds of an unfinished run
        lines.append(f"| {name} | " + " | ".join(acc.get(k, "-") for k in folds) + " |")
    paired = ["- " + paired_difference(by_model[a], by_model[b], a, b)
              for a, b in PAIRS if a in by_model and b in by_model]
    if paired:
        lines += ["", "Paired over shared folds (first model minus second):", "", *paired]
    if per_person:
        lines += ["", "Lowest per-person accuracy (each person's sequences, over seeds):", ""]
        for name, counts in people.items():
            acc = {q: c / n for q, (n, c) in counts.items()}
            per = np.array(list(acc.values()))
            worst = sorted(acc, key=acc.get)[:10]
            lines.append(f"- {name} ({(per >= 0.95).sum()} of {len(per)} people at >= 0.95, median person "
                         f"{np.median(per):.3f}): " + ", ".join(f"{q} {acc[q]:.2f}" for q in worst))
    lines += ["", "Per-class recall and confusion matrix (summed over folds and seeds; rows = true, columns = predicted):", ""]
    for name, rs in by_model.items():
        cm = np.sum([r["cm"] for r in rs], axis=0)
        recall = cm.diagonal() / np.maximum(cm.sum(1), 1)
        lines.append(f"**{name}**: recall " + ", ".join(f"{c} {v:.3f}" for c, v in zip(classes, recall)))
        lines.append("")
        lines.append("| true \\ pred | " + " | ".join(classes) + " |")
        lines.append("|---|" + "---|" * len(classes))
        for c, row in zip(classes, cm):
            lines.append(f"| {c} | " + " | ".join(str(int(v)) for v in row) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", choices=("gestures", "body_actions"), default="gestures")
    p.add_argument("--data", default=None, help="gestures folder or body_actions .npz (default: ../shared/data/...)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--quick", action="store_true", help="fewer epochs (smoke run, not for reporting)")
    p.add_argument("--models", nargs="+", choices=MODELS)
    p.add_argument("--people", help="restrict to these people, e.g. p01-p24")
    p.add_argument("--report-people", default="p25-p72", help="also report accuracy on these test people alone")
    p.add_argument("--set", nargs="*", default=[], help="PoseActionClassifier overrides key=value")
    p.add_argument("--recordings", type=float, default=1.0,
                   help="train on this fraction of each training person's sequences (seeded; e.g. 0.5: "
                        "the same number of sequences as half the people, for more people against more recordings)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", help="also write the markdown table here")
    p.add_argument("--results", help="JSON-lines file of per-fold results: appended as folds finish, "
                                     "reused on restart (resume)")
    p.add_argument("--merge", nargs="+", metavar="RESULTS",
                   help="train nothing: print the table of these --results files (e.g. one per seed run in parallel)")
    args = p.parse_args(argv)
    if args.data is None:
        args.data = str(GESTURES if args.dataset == "gestures" else
                        GESTURES.parent / "body_actions_one_person" / "actions16.npz")
    if args.merge:
        records = load_records(args.merge)
        keys = {json.dumps(r["key"], sort_keys=True) for r in records}
        if len(keys) > 1:
            raise SystemExit(f"--merge: the files hold results of {len(keys)} different runs (data, people, folds or overrides differ)")
    else:
        records = run(args)
    text = markdown(records, args)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
