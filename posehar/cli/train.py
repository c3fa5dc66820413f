"""posehar train DATA -o MODEL: train a model bundle on keypoint data."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``posehar train`` to the CLI's subcommands."""
    p = sub.add_parser("train", help="train a model on a folder of keypoint files",
                       description="Train GRU encoder + logistic regression on keypoint data. DATA is a folder "
                                   "of batch .npz files, one per person (= one group), like "
                                   "shared/data/keypoints/mp_gestures. Runs grouped cross-validation by person "
                                   "first (--cv), then fits the final model on everything. Or, with --dataset, "
                                   "train on the train part of a dataset's standard split from an extracted store "
                                   "and report its test part.")
    p.add_argument("data", nargs="?", help="folder of keypoint .npz files (one per person), a keypoint store "
                                           "(made by extract or import-pyskl), or a skeleton set "
                                           "file in the shared format (SET.npz: joints, offsets, joint_names, "
                                           "labels, subjects), trained in the common body layout")
    add_dataset_options(p)
    p.add_argument("-o", "--out", required=True, help="output model bundle folder")
    p.add_argument("--force", action="store_true",
                   help="replace -o even if it is not a model bundle (never an input, a folder holding one, "
                        "the current folder or one above it, or your home)")
    p.add_argument("--cv", type=cv_folds, default=5, help="grouped CV folds before the final fit (0 = skip; default 5)")
    p.add_argument("--body-only", action="store_true", help="ignore hand keypoints")
    p.add_argument("--from", dest="base", metavar="MODEL", default=None,
                   help="teach new actions to a trained model (e.g. body_actions): DATA is a folder "
                        "<class>/<video or keypoint .npz> or a skeleton set .npz; the model's encoder is kept and "
                        "a logistic regression is fit on its temporal vectors (seconds; useful from 5 clips a class)")
    p.add_argument("--fine-tune", dest="fine_tune", metavar="MODEL", default=None,
                   help="start the encoder from a trained model's (e.g. body_actions) and train it further on "
                        "DATA (a skeleton set .npz, a folder of them, or a keypoint folder; minutes, as training "
                        "is): every layer learns, where --from keeps the encoder as it is")
    p.add_argument("--groups", metavar="CSV", default=None,
                   help="with --from and a clip folder: relative_path,group rows saying whose each clip is")
    p.add_argument("--vocabulary", metavar="CSV", default=None,
                   help="DATA is a folder of skeleton set files: train one model on all of them, labels mapped "
                        "through this vocabulary (default: datasets/vocabulary/vocabulary.csv)")
    p.add_argument("--pairs", action="store_true",
                   help="DATA is a two-person skeleton file (SBU: joints p1_..., p2_...): train a model that reads "
                        "each recording's pair of people (two-person interactions; docs/multi_person.md)")
    p.add_argument("--epochs", type=_positive_int, default=None,
                   help="training epochs, all of them (default: the model's, 40 for body actions, fewer on a "
                        "set so large that they would pass 6000 optimiser steps)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(run=run)


def _positive_int(text: str) -> int:
    from .pose import positive_int

    return positive_int(text)


def cv_folds(text: str) -> int:
    """argparse type of --cv: 0 (no cross-validation) or a number of folds >= 2."""
    value = int(text)
    if value != 0 and value < 2:
        raise argparse.ArgumentTypeError(f"must be 0 (skip cross-validation) or >= 2 folds, got {value}")
    return value


def check_training_folder(data: str, cv: int) -> int:
    """Refuse keypoint DATA too small to train on (reading only its labels); return the CV folds to
    use (fewer than asked, and said, when there are fewer people than folds)."""
    import numpy as np

    from ..errors import NPZ_READ_ERRORS
    from ..sequence import _check_declared_sizes, batch_subject
    from ..store import KeypointStore, is_keypoint_store

    if is_keypoint_store(data):
        return choose_cv(str(data), *KeypointStore(data, create=False).labels_and_groups(), cv)
    files = sorted(Path(data).glob("*.npz")) if Path(data).is_dir() else []
    labels: list[str] = []
    groups: list[str] = []
    for f in files:
        try:
            _check_declared_sizes(f)  # not a zip (a bare .npy), or arrays too large: BadZipFile, ValueError
            with np.load(f, allow_pickle=False) as d:
                found = [str(c) for c in d["labels"]] if "labels" in d.files else []
        except NPZ_READ_ERRORS:
            return cv  # the loader names the damaged file
        labels += found
        groups += [batch_subject(f)] * len(found)  # as training groups them
    if not files or not labels:
        return cv  # the loader says what is missing
    return choose_cv(str(data), labels, groups, cv)


def _fold_problem(labels: list[str], groups: list[str], folds: int) -> str:
    """Why grouped ``folds``-fold CV (as posehar.evaluation.cross_validate splits) cannot train
    every fold on these labels and groups; '' when it can."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    y, g = np.asarray(labels), np.asarray(groups)
    for train, _ in GroupKFold(n_splits=folds).split(np.zeros(len(y)), y, g):
        if len(set(g[train])) < 2:
            return "one of its folds would train on 1 person (training needs 2)"
        if len(set(y[train])) < 2:
            return f"one of its folds would train on 1 class ({y[train][0]})"
    return ""


def choose_cv(where: str, labels: list[str], groups: list[str], cv: int, required: bool = False) -> int:
    """The grouped CV folds to use on these training labels and groups (one group = one person).

    Refuses fewer than 2 people or classes. When ``cv`` folds cannot run (more folds than people,
    or a fold that would train on 1 person or 1 class) it says so on stderr and uses the number of
    folds nearest to ``cv`` that can, or none (0); with ``required`` (no test split, so CV is the
    only figure) none is an error.
    """
    import sys

    from ..errors import PoseharError

    people, classes = len(set(groups)), sorted(set(labels))
    if people < 2 and not required:
        raise PoseharError(f"{where} holds 1 person's recordings; training needs at least 2 people (a keypoint "
                           "folder: one .npz per person; a skeleton set: its subjects): the encoder is validated "
                           "on people it does not train on")
    if people < 2:
        raise PoseharError(f"{where}: its training clips are all of 1 person (group); training needs at least 2 "
                           "(give a groups file naming each clip's person): the encoder is validated on people "
                           "it does not train on")
    if len(classes) < 2:
        raise PoseharError(f"{where} has 1 class ({', '.join(classes)}); training needs at least 2 classes")
    if cv <= 1:
        return cv
    why = _fold_problem(labels, groups, min(cv, people))
    if not why:
        if cv > people:
            print(f"posehar: {where} has {people} people, fewer than --cv {cv} folds; using --cv {people}",
                  file=sys.stderr)
        return min(cv, people)
    ok = [k for k in range(2, people + 1) if not _fold_problem(labels, groups, k)]
    if ok:
        best = min(ok, key=lambda k: (abs(k - cv), -k))
        print(f"posehar: --cv {cv} on {where} ({people} people, {len(labels)} sequences): {why}; "
              f"using --cv {best}", file=sys.stderr)
        return best
    if required:
        raise PoseharError(f"{where} ({people} people, {len(labels)} sequences) is too small to cross-validate, "
                           f"and its accuracy comes only from cross-validation: {why}; it needs more people "
                           "with every class (at least 3)")
    print(f"posehar: {where} ({people} people, {len(labels)} sequences) is too small to cross-validate: {why}; "
          "training without cross-validation (--cv 0)", file=sys.stderr)
    return 0


def dataset_option(text: str) -> tuple[str, object]:
    """A ``--set KEY=VALUE`` dataset option: VALUE read as JSON where it parses, else as text."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.replace("-", "_"), json.loads(value)
    except json.JSONDecodeError:
        return key.replace("-", "_"), value


def add_dataset_options(p: argparse.ArgumentParser) -> None:
    """--dataset/--root/--store/--split/--set and the pose settings the store was extracted with."""
    from .pose import add_pose_options

    g = p.add_argument_group("dataset protocol (instead of DATA)")
    from ..datasets.protocols import PROTOCOLS

    g.add_argument("--dataset", help=f"one of {', '.join(PROTOCOLS)}")
    g.add_argument("--root", help="the dataset's root folder")
    g.add_argument("--store", help="keypoint store written by 'posehar extract'")
    g.add_argument("--split", type=int, default=1, help="split / fold number (default 1)")
    g.add_argument("--set", dest="options", type=dataset_option, action="append", default=[], metavar="KEY=VALUE",
                   help="a dataset option, e.g. protocol=adults_to_children for kinder_gator (VALUE read as JSON "
                        "where it parses)")
    add_pose_options(g)


def dataset_args(args: argparse.Namespace) -> bool:
    """True when the dataset options are used; errors when they are mixed with DATA or incomplete."""
    from ..errors import PoseharError

    if args.dataset is None:
        if args.data is None:
            raise PoseharError("give a keypoint folder DATA, or --dataset NAME --root ROOT [--store STORE]")
        ignored = [opt for opt, used in (("--split", args.split != 1), ("--keypoints", args.keypoints != "holistic"),
                                         ("--stride", args.stride != 1), ("--max-frames", args.max_frames is not None),
                                         ("--model-complexity", args.model_complexity != 1),
                                         ("--set", bool(getattr(args, "options", None)))) if used]
        if ignored and getattr(args, "base", None) is None:  # --from reads clips with the pose settings
            raise PoseharError(f"{', '.join(ignored)} only apply with --dataset (a store extracted with those "
                               f"settings); keypoint DATA ({args.data}) is read as it is")
        return False
    if args.data is not None or not args.root:
        raise PoseharError("--dataset needs --root (and --store for video datasets), and no DATA folder")
    return True


def run(args: argparse.Namespace) -> int:
    """``posehar train``: its outputs checked, then the training its arguments ask for; the exit status."""
    from ..models import resolve_model
    from ..outputs import Output, check_outputs

    base = args.base and resolve_model(args.base)
    start = args.fine_tune and resolve_model(args.fine_tune)
    check_outputs([Output(args.out, "-o", bundle=True, force=args.force)],
                  inputs=[args.data, args.root, args.store, base, start, args.groups, args.vocabulary])
    if args.force:
        from ..bundle import forcing

        with forcing(args.out):
            return _run(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from .pose import settings_from
    from ..training import train_dataset, train_folder, train_skeleton_file, train_skeleton_sets
    from ..datasets.skeleton_file import holds_skeleton_sets

    params = {"random_state": args.seed}
    if args.body_only:
        params["hands"] = False
    if args.epochs:
        params.update(epochs=args.epochs, max_steps=None)  # the epochs asked for, however large the set
    if args.fine_tune is not None:
        params["encoder_from"] = _fine_tune_start(args, params)
    if args.pairs:
        return _train_pairs(args, params)
    if args.base is not None:
        if dataset_args(args):
            from ..errors import PoseharError

            raise PoseharError("--from teaches from a clip folder or skeleton .npz DATA, not from --dataset")
        return _teach(args)
    if dataset_args(args):
        from ..datasets.protocols import protocol_split

        train, test = protocol_split(args.dataset, args.root, args.split, **dict(args.options))
        # without a test split (custom) train_dataset cross-validates at least 2 folds
        cv = args.cv if args.cv > 1 else (2 if test is None else 0)
        part = "the data" if test is None else "the training part"
        cv = choose_cv(f"{part} of {args.dataset} at {args.root}", [s.label for s in train.samples],
                       [str(s.group) for s in train.samples], cv, required=test is None)
        clf, record = train_dataset(args.dataset, args.root, args.store, args.out, split=args.split,
                                    settings=settings_from(args), cv=cv, options=dict(args.options), **params)
        if "test" in record:
            t = record["test"]
            print(f"{args.dataset} split {args.split} ({record['protocol']}): test accuracy {t['accuracy']:.4f} "
                  f"on {t['n']} clips")
    elif args.vocabulary or holds_skeleton_sets(args.data):
        clf, record = train_skeleton_sets(args.data, args.out, vocabulary=args.vocabulary, holdout=args.cv, **params)
        held = record.get("set_results")
        if held:
            print(f"people held out ({held['protocol']}):")
            for row in held["rows"]:
                print(f"  {row['set']:<18} accuracy {row['accuracy']:.4f} on {row['n']} sequences of {row['people']} people")
    elif Path(args.data).is_file():  # a skeleton set; anything else is named as not one
        from ..datasets.skeleton_file import labels_and_subjects
        from ..pair_training import holds_pairs

        args.cv = choose_cv(str(args.data), *labels_and_subjects(args.data), args.cv)
        if holds_pairs(args.data):
            print(f"posehar: {args.data} holds two people per sequence; training on the first person only "
                  "(--pairs trains a model that reads both)", file=sys.stderr)
        clf, record = train_skeleton_file(args.data, args.out, cv=args.cv, **params)
    else:
        args.cv = check_training_folder(args.data, args.cv)
        clf, record = train_folder(args.data, args.out, cv=args.cv, **params)
    _print_record(args, record)
    return 0


def _fine_tune_start(args: argparse.Namespace, params: dict):
    """The fitted model --fine-tune names, once it is known to fit the training DATA asks for."""
    from ..body import COMMON_LAYOUTS
    from ..classifier import PoseActionClassifier
    from ..datasets.skeleton_file import holds_skeleton_sets, is_skeleton_file
    from ..errors import PoseharError
    from ..models import get_model
    from ..skeleton_training import BODY_PARAMS

    if args.base is not None or args.pairs or args.dataset is not None or args.data is None:
        raise PoseharError("--fine-tune trains on DATA (a skeleton set .npz, a folder of them, or a keypoint folder), "
                           "not with --from, --pairs or --dataset")
    model = get_model(args.fine_tune)
    skeletons = bool(args.vocabulary) or holds_skeleton_sets(args.data) or is_skeleton_file(args.data)
    body = {**BODY_PARAMS, "layout": model.layout} if model.layout in COMMON_LAYOUTS else BODY_PARAMS
    problem = PoseActionClassifier(**{**(body if skeletons else {}), **params}).fine_tune_problem(model)
    if problem:
        raise PoseharError(f"--fine-tune {args.fine_tune}: {problem}")
    return model


def _train_pairs(args: argparse.Namespace, params: dict) -> int:
    """posehar train SET.npz -o MODEL --pairs: a pair model on a two-person skeleton file."""
    from ..datasets.skeleton_file import is_skeleton_file, labels_and_subjects
    from ..errors import PoseharError
    from ..pair_training import train_pair_file

    if args.base is not None or args.dataset is not None or args.vocabulary:
        raise PoseharError("--pairs trains on one two-person skeleton file DATA; not with --from, --dataset or "
                           "--vocabulary")
    if args.data is None or not is_skeleton_file(args.data):
        raise PoseharError(f"--pairs needs a two-person skeleton set file SET.npz (as SBU); {args.data} is not a "
                           "skeleton set file")
    args.cv = choose_cv(str(args.data), *labels_and_subjects(args.data), args.cv)
    clf, record = train_pair_file(args.data, args.out, cv=args.cv, **params)
    _print_record(args, record)
    return 0


def _print_record(args: argparse.Namespace, record: dict) -> None:
    cv = record.get("cross_validation")
    if cv:
        print(f"cross-person accuracy ({cv['protocol']}): {cv['accuracy_mean']:.4f} ± {cv['accuracy_std']:.4f} "
              f"(folds: {', '.join(f'{a:.3f}' for a in cv['fold_accuracy'])})")
    who = "pairs of people" if record.get("people_per_sequence") == 2 else "people"
    views = (f" (each 3D recording also seen from {record['training_views']} extra viewpoints)"
             if record.get("training_views") else "")
    print(f"final model: {len(record['groups'])} {who}, {record['sequences']} sequences{views}, classes "
          f"{json.dumps(record['classes'])}, fit in {record['fit_seconds']:.0f} s -> {args.out}")


def _teach(args: argparse.Namespace) -> int:
    """posehar train CLIPS --from MODEL: the model's encoder, a new head on CLIPS."""
    from ..bundle import save_model
    from ..clips import read_clip_folder
    from ..datasets.skeleton_file import SkeletonFile
    from ..fewshot import fit_from
    from ..models import get_model, resolve_model
    from ..skeleton_training import skeleton_sequences
    from .pose import settings_for_model

    base = get_model(resolve_model(args.base))
    skeleton_set = Path(args.data).is_file()  # a skeleton set; anything else is named as not one
    if skeleton_set:
        X, y, groups = skeleton_sequences(SkeletonFile(args.data), layout=base.layout)
    else:
        X, y, groups = read_clip_folder(args.data, settings_for_model(args, base), groups_file=args.groups)
    model, record = fit_from(base, X, y, groups if args.groups or skeleton_set else None,
                             cv=args.cv if args.cv else 0)
    command = (f"posehar train {args.data} -o {Path(args.out).name} --from {args.base}"
               + (f" --groups {args.groups}" if args.groups else "") + (f" --cv {args.cv}" if args.cv != 5 else ""))
    model.training_.update(data=str(args.data), sequences=len(X), groups=sorted(set(groups)),
                           classes=model.classes_.tolist(), command=command,
                           date=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    save_model(model, args.out, training=model.training_)
    cv = record.get("cross_validation")
    counts = ", ".join(f"{c} {n}" for c, n in sorted(record["clips_per_class"].items()))
    if cv:
        kind = "grouped by person" if cv["grouped"] else "stratified, clips of one person may be on both sides"
        print(f"cross-validated accuracy on the clips ({cv['folds']} folds, {kind}): {cv['accuracy']:.4f}")
    else:
        single = sorted(c for c, n in record["clips_per_class"].items() if n < 2)
        why = "--cv 0" if not args.cv else f"{', '.join(single)} {'has' if len(single) == 1 else 'have'} 1 clip"
        print(f"posehar: no cross-validated accuracy ({why}); the 'unknown' confidence threshold is 0",
              file=sys.stderr)
    few = sorted(c for c, n in record["clips_per_class"].items() if n < 5)
    if few:
        print(f"posehar: note: {', '.join(few)} {'has' if len(few) == 1 else 'have'} fewer than 5 clips; "
              "5 or more a class read new people better", file=sys.stderr)
    print(f"taught {len(record['clips_per_class'])} actions from {record['clips']} clips ({counts}) on the encoder "
          f"of {args.base} -> {args.out}")
    return 0
