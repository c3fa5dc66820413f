"""posehar train DATA -o MODEL: train a model bundle on keypoint data."""

from __future__ import annotations

import argparse
import json


def register(sub) -> None:
    p = sub.add_parser("train", help="train a model on a folder of keypoint files",
                       description="Train GRU encoder + logistic regression on keypoint data. DATA is a folder "
                                   "of batch .npz files, one per person (= one group), like "
                                   "shared/data/keypoints/mp_gestures. Runs grouped cross-validation by person "
                                   "first (--cv), then fits the final model on everything.")
    p.add_argument("data", help="folder of keypoint .npz files (one per person)")
    p.add_argument("-o", "--out", required=True, help="output model bundle folder")
    p.add_argument("--cv", type=int, default=5, help="grouped CV folds before the final fit (0 = skip; default 5)")
    p.add_argument("--body-only", action="store_true", help="ignore hand keypoints")
    p.add_argument("--epochs", type=int, default=None, help="maximum training epochs")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..training import train_folder

    params = {"random_state": args.seed}
    if args.body_only:
        params["hands"] = False
    if args.epochs:
        params["epochs"] = args.epochs
    clf, record = train_folder(args.data, args.out, cv=args.cv, **params)
    cv = record.get("cross_validation")
    if cv:
        print(f"cross-person accuracy ({cv['protocol']}): {cv['accuracy_mean']:.4f} ± {cv['accuracy_std']:.4f} "
              f"(folds: {', '.join(f'{a:.3f}' for a in cv['fold_accuracy'])})")
    print(f"final model: {len(record['groups'])} people, {record['sequences']} sequences, classes "
          f"{json.dumps(record['classes'])}, fit in {record['fit_seconds']:.0f} s -> {args.out}")
    return 0
