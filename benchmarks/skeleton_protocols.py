"""Every shared skeleton set's standard protocol: posehar against two baselines in the same run.

Models, each trained and tested on the same split:
- ``posehar``: the common-body GRU + logistic regression (posehar.skeleton_training.BODY_PARAMS),
  with hands and feet where the set has them (posehar.body.body_layout; fine-tuned: its encoder's layout),
  3D recordings also seen from random viewpoints in training (``--views``), each by a body of other
  proportions (``--proportions``);
- ``meanstd``: mean and std over time of the source's raw joints -> StandardScaler -> LogisticRegression;
- ``lstm``: the tutorial stacked LSTM (64/128/64, dense 64/32) on the raw joints, 30 frames sampled
  uniformly from each sequence.
Two-person files (SBU, protocol ``sbu``) also take (``--models``):
- ``posehar_pair``: the pair model (posehar.pairs: both people in one camera, each one's common-body
  features and where the other is; trained on both orders, probabilities averaged over both);
- ``meanstd_pair``: mean/std over time of both people's raw joints + logistic regression.

Protocols (``--protocols``): g3d_seed (the humanpose-rnn seed's 7 classes, random 80/20 split),
g3d_xsub (all 22 labels, leave one actor out), msrc12 / kinder_gator / yoga (cross-subject, grouped
folds), kinder_adults_children, utd_mhad (odd subjects train, even test), nw_ucla (views 1, 2 -> 3),
sbu (5-fold over pairs, first person of each pair), penn (official split), jhmdb (splits 1-3).
Records go to ``--results`` (JSON lines; a rerun skips what is there), and a markdown table is printed.

    python benchmarks/skeleton_protocols.py --protocols g3d_seed utd_mhad --results r.jsonl

Choosing settings on training people only (``--inner``): each protocol's first split is replaced by
a split of its training portion alone (:func:`inner_split`), so a protocol's test people never
choose anything; ``--params`` changes posehar's parameters and ``--tag`` names the variant:

    python benchmarks/skeleton_protocols.py --inner --protocols penn utd_mhad nw_ucla --models posehar \
        --seeds 0 1 --params '{"hidden_size": 256}' --tag h256 --results docs/results/inner_splits.jsonl

``"augment"`` in ``--params`` names only the fields it changes (``{"augment": {"speed": 0.5}}``).

``--test-fps 15 10`` also scores posehar on the same test clips at lower frame rates (every 2nd or 3rd
frame kept, as a 15 or 10 fps camera would record them), in the record's ``accuracy_at_fps``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from cross_person import TutorialLSTM  # noqa: E402
from set_encoders import SKELETONS, encoder_name, encoder_without  # noqa: E402

from posehar.augment import AugmentConfig  # noqa: E402
from posehar.body import body_layout  # noqa: E402
from posehar.classifier import PoseActionClassifier  # noqa: E402
from posehar.datasets.skeleton_file import SkeletonFile, cross_subject_folds  # noqa: E402
from posehar.evaluation import Report  # noqa: E402
from posehar.pair_training import pair_file, pair_file_sequences, pair_params  # noqa: E402
from posehar.pairs import pair_from_clips  # noqa: E402
from posehar.prediction import UNKNOWN, predict_sequence  # noqa: E402
from posehar.sequence import KeypointSequence  # noqa: E402
from posehar.skeleton_training import (BODY_PARAMS, TRAIN_PROPORTIONS, TRAIN_VIEWS,  # noqa: E402
                                       skeleton_sequences)

SEED_CLASSES = ("PunchRight", "PunchLeft", "KickRight", "KickLeft", "Wave", "Flap", "Clap")
MODELS = ("posehar", "meanstd", "lstm")
PAIR_MODELS = ("posehar_pair", "meanstd_pair")  # two-person files only (sbu)
GOALS = {"g3d_seed": 0.99, "g3d_xsub": 0.95, "msrc12": 0.97, "utd_mhad": 0.92, "nw_ucla": 0.93, "penn": 0.97}


# ---------------------------------------------------------------- baselines on the raw source joints
def raw(sf: SkeletonFile, i: int) -> np.ndarray:
    clip = sf.clip(i)
    return clip.joints.reshape(len(clip), -1)


class MeanStd:
    def __init__(self, seed: int):
        self.model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))

    def fit(self, sf, idx, seed):
        self.model.fit(np.stack([_meanstd(raw(sf, i)) for i in idx]), sf.labels[idx])
        return self

    def predict(self, sf, idx):
        return self.model.predict(np.stack([_meanstd(raw(sf, i)) for i in idx]))


def _meanstd(f: np.ndarray) -> np.ndarray:
    return np.concatenate([f.mean(0), f.std(0)])


class LSTM(TutorialLSTM):
    """The tutorial stacked LSTM (benchmarks/cross_person.py) on the raw joints: 30 frames sampled
    uniformly from each sequence, standardised with the training frames' mean and std."""

    frames = 30

    def __init__(self, seed: int):
        super().__init__(seed, epochs=60, patience=10)
        self.mean, self.std = 0.0, 1.0

    def _sampled(self, sf, idx) -> list[np.ndarray]:
        out = []
        for i in idx:
            f = raw(sf, i)
            out.append(f[np.linspace(0, len(f) - 1, self.frames).round().astype(int)])
        return out

    def _x(self, X):
        return (torch.from_numpy(np.stack(X).astype(np.float32)) - self.mean) / self.std

    def fit(self, sf, idx, seed):
        X = self._sampled(sf, idx)
        x = torch.from_numpy(np.stack(X).astype(np.float32))
        self.mean, self.std = x.mean((0, 1)), x.std((0, 1)).clamp(min=1e-3)
        return super().fit(X, sf.labels[idx], None)

    def predict(self, sf, idx):
        return super().predict(self._sampled(sf, idx))


def raw_pair(files, i: int) -> np.ndarray:
    """Both people's raw joints of sequence ``i``, (T, 2 * J * C)."""
    clips = [f.clip(i) for f in files]
    return np.concatenate([c.joints.reshape(len(c), -1) for c in clips], axis=1)


class MeanStdPair(MeanStd):
    """mean/std + LR on both people's raw joints (two-person files)."""

    def fit(self, sf, idx, seed):
        self.files = pair_file(sf.path)
        self.model.fit(np.stack([_meanstd(raw_pair(self.files, i)) for i in idx]), sf.labels[idx])
        return self

    def predict(self, sf, idx):
        return self.model.predict(np.stack([_meanstd(raw_pair(self.files, i)) for i in idx]))


class PoseharPair:
    """The pair model on a two-person file: both orders and ``views`` viewpoints in training."""

    def __init__(self, seed: int, views: int):
        self.seed, self.views = seed, views

    def fit(self, sf, idx, seed):
        self.files = pair_file(sf.path)
        X, y, g = pair_file_sequences(self.files, idx, views=self.views, seed=seed, both_orders=True)
        self.model = PoseActionClassifier(**pair_params(), random_state=seed, verbose=False).fit(X, y, g)
        return self

    def predict(self, sf, idx):
        a, b = self.files
        return self.model.predict([pair_from_clips(a.clip(int(i)), b.clip(int(i))) for i in idx])


class Posehar:
    def __init__(self, seed: int, views: int, params: dict | None = None, proportions: float = TRAIN_PROPORTIONS,
                 fine_tune: bool = False):
        self.seed, self.views, self.params, self.proportions = seed, views, params or {}, proportions
        self.fine_tune = fine_tune

    def fit(self, sf, idx, seed):
        params = {**BODY_PARAMS, "layout": body_layout([sf.layout]), **self.params}
        if isinstance(params.get("augment"), dict):  # --params '{"augment": {"speed": 0.5}}': changed fields only
            params["augment"] = replace(AugmentConfig(), **params["augment"])
        if self.fine_tune:  # from the encoder trained on every other shared set: none of this set's people
            params["encoder_from"] = encoder_without(sf.path.stem)
            params["layout"] = params["encoder_from"].layout  # the layout its encoder reads
        X, y, g = skeleton_sequences(sf, idx, views=self.views, seed=seed, proportions=self.proportions,
                                     layout=params["layout"])
        self.model = PoseActionClassifier(**params, random_state=seed, verbose=False).fit(X, y, g)
        return self

    def _sequence(self, sf, i) -> KeypointSequence:
        return sf.sequence(int(i), layout=self.model.layout)

    def predict(self, sf, idx):
        return self.model.predict([self._sequence(sf, i) for i in idx])

    def accuracy_at_fps(self, sf, idx, fps: float) -> float:
        """Accuracy on sequences ``idx`` recorded at ``fps`` instead (every k-th frame, k = round(source fps / fps))."""
        seqs = [at_lower_fps(self._sequence(sf, i), fps) for i in idx]
        return float(np.mean(self.model.predict(seqs) == sf.labels[idx]))

    def unknown_share(self, sf, idx) -> float:
        """Share of the sequences ``posehar predict`` would answer 'unknown' (how the thresholds fit new people)."""
        return float(np.mean([predict_sequence(self._sequence(sf, i), self.model).label == UNKNOWN for i in idx]))


def at_lower_fps(seq: KeypointSequence, fps: float) -> KeypointSequence:
    """``seq`` as a camera at about ``fps`` would have recorded it: every k-th frame, k = round(seq.fps / fps)."""
    return seq.every(max(int(round(seq.fps / fps)), 1))


def make(name: str, seed: int, views: int, params: dict | None = None, proportions: float = TRAIN_PROPORTIONS,
         fine_tune: bool = False):
    return {"posehar": lambda: Posehar(seed, views, params, proportions, fine_tune), "meanstd": lambda: MeanStd(seed), "lstm": lambda: LSTM(seed),
            "posehar_pair": lambda: PoseharPair(seed, views), "meanstd_pair": lambda: MeanStdPair(seed)}[name]()


# ---------------------------------------------------------------- protocols: (file, [(name, train idx, test idx)])
def protocol(name: str, seed: int, folds: int) -> tuple[SkeletonFile, list[tuple[str, np.ndarray, np.ndarray]]]:
    sk = lambda stem, **kw: SkeletonFile(SKELETONS / f"{stem}.npz", **kw)  # noqa: E731
    if name == "g3d_seed":
        sf = sk("g3d")
        idx = np.flatnonzero(np.isin(sf.labels, SEED_CLASSES))
        tr, te = next(StratifiedShuffleSplit(1, test_size=0.2, random_state=seed).split(idx, sf.labels[idx]))
        return sf, [("random 80/20", idx[tr], idx[te])]
    if name == "g3d_xsub":
        sf = sk("g3d")
        people = sorted(set(sf.subjects))
        return sf, [(f"test {p}", np.flatnonzero(sf.subjects != p), np.flatnonzero(sf.subjects == p)) for p in people]
    if name in ("msrc12", "kinder_gator", "yoga"):
        sf = sk({"yoga": "yoga_posepilot"}.get(name, name))
        return sf, [(f"fold {k + 1}", tr, te) for k, (tr, te) in enumerate(cross_subject_folds(sf.subjects, folds, seed))]
    if name == "kinder_adults_children":
        sf = sk("kinder_gator")
        child = np.char.startswith(sf.extra["groups"].astype(str), "child")
        return sf, [("adults -> children", np.flatnonzero(~child), np.flatnonzero(child))]
    if name == "utd_mhad":
        sf = sk("utd_mhad")
        odd = np.array([int("".join(c for c in s if c.isdigit())) % 2 == 1 for s in sf.subjects])
        return sf, [("odd -> even subjects", np.flatnonzero(odd), np.flatnonzero(~odd))]
    if name in ("nw_ucla", "penn"):
        sf = sk({"penn": "penn_action"}.get(name, name))
        desc, tr, te = sf.protocol()
        return sf, [(desc, tr, te)]
    if name == "jhmdb":
        sf = sk("jhmdb_gt14")
        return sf, [sf.protocol(s) for s in (1, 2, 3)]
    if name == "sbu":
        sf = sk("sbu_interaction")
        return sf, [(f"fold {k + 1}", tr, te) for k, (tr, te) in enumerate(cross_subject_folds(sf.subjects, 5, seed))]
    raise SystemExit(f"unknown protocol {name!r}")


def inner_split(name: str, sf: SkeletonFile, train: np.ndarray, seed: int) -> tuple[str, np.ndarray, np.ndarray]:
    """A split of a protocol's training indices alone, of the protocol's kind: NW-UCLA's first training
    view -> its second (cross-view); G3D's seed protocol a random half (stratified); every other one
    half of the training people -> the other half (Penn Action and JHMDB: one clip a person, so a random
    half of the clips)."""
    if name == "nw_ucla":
        views = sf.extra["views"].astype(str)[train]
        first, second = sorted(set(views))[:2]
        return f"inner: {first} -> {second}", train[views == first], train[views == second]
    if name == "g3d_seed":
        a, b = next(StratifiedShuffleSplit(1, test_size=0.5, random_state=seed).split(train, sf.labels[train]))
        return "inner: random half -> the other half", train[a], train[b]
    return ("inner: half the training people -> the other half", *people_halves(sf, seed, among=train))


def people_halves(sf: SkeletonFile, seed: int, among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices of half of the people (of sequences ``among``, default all) and of the other half."""
    among = np.arange(len(sf)) if among is None else among
    people = np.random.default_rng(seed).permutation(sorted(set(sf.subjects[among])))
    first = np.isin(sf.subjects[among], people[: len(people) // 2])
    return among[first], among[~first]


def _inner(record: dict) -> bool:
    """Whether a record was scored on an inner split (``--inner``)."""
    return record["split"].startswith("inner:")


PROTOCOLS = ("g3d_seed", "g3d_xsub", "msrc12", "kinder_gator", "kinder_adults_children", "utd_mhad", "nw_ucla",
             "sbu", "penn", "jhmdb", "yoga")


def run(args) -> list[dict]:
    path = Path(args.results) if args.results else None
    done = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path and path.exists() else []
    have = {(r["protocol"], r["model"], r["seed"], r["split"], r.get("tag", "")) for r in done}
    params = args.params or {}
    for name in args.protocols:
        for seed in args.seeds:
            sf, splits = protocol(name, seed, args.folds)
            if args.inner:
                splits = [inner_split(name, sf, splits[0][1], seed)]
            for split, tr, te in splits:
                for model in args.models:
                    if (name, model, seed, split, args.tag) in have or (model in PAIR_MODELS and name != "sbu"):
                        continue
                    t0 = time.perf_counter()
                    m = make(model, seed, args.views, params, args.proportions, args.fine_tune).fit(sf, tr, seed)
                    fit_s = time.perf_counter() - t0
                    pred = m.predict(sf, te)
                    rep = Report.from_predictions(sf.labels[te], pred, np.unique(sf.labels[tr]))
                    rec = {"protocol": name, "model": model, "seed": seed, "split": split, "accuracy": rep.accuracy,
                           "n_test": int(len(te)), "n_train": int(len(tr)), "fit_seconds": fit_s,
                           "views": args.views if model.startswith("posehar") else 0,
                           "threads": torch.get_num_threads(), "recall": dict(zip(rep.classes, rep.recall))}
                    if isinstance(m, Posehar):
                        rec["unknown_share"] = m.unknown_share(sf, te)
                        if args.test_fps:
                            rec["accuracy_at_fps"] = {str(f): m.accuracy_at_fps(sf, te, f) for f in args.test_fps}
                        rec["proportions"] = args.proportions
                        if args.fine_tune:
                            rec["fine_tuned_from"] = encoder_name(sf.path.stem)
                    if args.tag or params:
                        rec.update(tag=args.tag, params=params)
                    print(f"{name} seed {seed} {split} {model} {args.tag}: {rep.accuracy:.4f} ({fit_s:.0f} s)", flush=True)
                    done.append(rec)
                    if path:
                        with path.open("a") as fh:
                            fh.write(json.dumps(rec) + "\n")
    return done


def table(records: list[dict]) -> str:
    pair_models = [m for m in PAIR_MODELS if any(r["model"] == m for r in records)]
    heads = ["posehar", "mean/std + LR", "tutorial LSTM"] + [{"posehar_pair": "posehar pair",
                                                               "meanstd_pair": "mean/std + LR, both people"}[m]
                                                              for m in pair_models]
    lines = ["| protocol | goal | " + " | ".join(heads) + " | posehar fit s (2 cores) |",
             "|---" * (len(heads) + 3) + "|"]
    for name in PROTOCOLS:
        # Variants and inner splits: variants_table
        rows = [r for r in records if r["protocol"] == name and not r.get("tag") and not _inner(r)]
        if not rows:
            continue
        cells = []
        for model in (*MODELS, *pair_models):
            accs = _pooled([r for r in rows if r["model"] == model])
            spread = f" ± {np.std(accs):.3f}" if len(accs) > 1 else ""  # over seeds
            cells.append(f"{np.mean(accs):.3f}{spread}" if accs else "—")
        fit = [r["fit_seconds"] for r in rows if r["model"] == "posehar"]
        cells.append(f"{np.mean(fit):.0f}" if fit else "—")
        lines.append(f"| {name} | {GOALS.get(name, '—')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def variants_table(records: list[dict]) -> str:
    """posehar variants side by side (``--tag``; untagged: "base"), each protocol's accuracy over seeds,
    and each variant's mean difference from base over the (protocol, seed) pairs both have."""
    rows = [r for r in records if r["model"] == "posehar"]
    tags = sorted({r.get("tag", "") for r in rows}, key=lambda t: (t != "", t))
    names = [t or "base" for t in tags]
    lines = ["| protocol | split | " + " | ".join(names) + " |", "|---" * (len(tags) + 2) + "|"]
    # (protocol, inner split or not, tag, seed) -> accuracy over that seed's test sequences, folds pooled
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["protocol"], _inner(r), r.get("tag", ""), r["seed"]), []).append(r)
    acc = {key: _pooled(rs)[0] for key, rs in groups.items()}
    for name in PROTOCOLS:
        for inner in (False, True):
            split = next((r["split"] for r in rows if r["protocol"] == name and _inner(r) == inner), None)
            if split is None:
                continue
            cells = []
            for t in tags:
                a = [v for (p, i, tag, _), v in acc.items() if (p, i, tag) == (name, inner, t)]
                cells.append(f"{np.mean(a):.3f}" + (f" ± {np.std(a):.3f}" if len(a) > 1 else "") if a else "—")
            lines.append(f"| {name} | {split if inner else 'the protocol'} | " + " | ".join(cells) + " |")
    diffs = []
    for t in tags:
        d = [v - acc[(p, i, "", s)] for (p, i, tag, s), v in acc.items() if tag == t and (p, i, "", s) in acc]
        diffs.append(f"{np.mean(d):+.3f} ({len(d)} pairs)" if d and t else "—")
    lines.append("| mean difference from base | | " + " | ".join(diffs) + " |")
    return "\n".join(lines)


def _pooled(rows: list[dict]) -> list[float]:
    """Per seed: the accuracy over all test sequences of its splits (folds pooled)."""
    out = []
    for seed in sorted({r["seed"] for r in rows}):
        rs = [r for r in rows if r["seed"] == seed]
        out.append(sum(r["accuracy"] * r["n_test"] for r in rs) / sum(r["n_test"] for r in rs))
    return out


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('a JSON object of parameters, such as {"hidden_size": 256}')
    return value


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS)
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS + PAIR_MODELS)
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--folds", type=int, default=5, help="folds of the cross-subject protocols (default 5)")
    p.add_argument("--views", type=int, default=TRAIN_VIEWS, help="extra viewpoints per 3D recording for posehar")
    p.add_argument("--proportions", type=float, default=TRAIN_PROPORTIONS,
                   help="each extra viewpoint replayed by a body whose segments are scaled by 1 +- this")
    p.add_argument("--inner", action="store_true",
                   help="score on a split of each protocol's training people only (choosing settings)")
    p.add_argument("--params", type=_json_object,
                   help="JSON object of posehar parameters replacing BODY_PARAMS' (a variant)")
    p.add_argument("--fine-tune", action="store_true",
                   help="posehar's encoder starts from the body-action model trained on every other shared set "
                        "(set_encoders.encoder_without: the protocol's set, so its test people, never seen; trained "
                        "once and cached, about 6 min)")
    p.add_argument("--test-fps", nargs="+", type=float, default=[],
                   help="also score posehar on the test clips at these lower frame rates (accuracy_at_fps)")
    p.add_argument("--tag", default="", help="name of the variant, kept in its records")
    p.add_argument("--results", help="JSON-lines file of records (resumed)")
    p.add_argument("--table", nargs="*", help="only print the table of these results files")
    args = p.parse_args(argv)
    if (args.params or args.proportions != TRAIN_PROPORTIONS or args.fine_tune) and not args.tag:
        p.error("a variant (--params, --proportions or --fine-tune) needs --tag: its records must not pass for the default's")
    if args.table is not None:
        records = [json.loads(line) for f in args.table for line in Path(f).read_text().splitlines() if line.strip()]
    else:
        records = run(args)
    variants = any("tag" in r or _inner(r) for r in records)
    print(variants_table(records) if variants else table(records))


if __name__ == "__main__":
    main()
