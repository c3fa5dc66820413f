"""posehar evaluate MODEL DATA: accuracy, per-class precision/recall and a confusion-matrix PNG."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a model on a skeleton set, keypoint files or a clip folder",
                       description="Evaluate a model bundle on keypoint data. People the model was trained on "
                                   "are reported apart from unseen people; the cross-person figure recorded at "
                                   "training time is printed too.")
    p.add_argument("model", help="model bundle folder or shipped model name")
    p.add_argument("data", nargs="?", help="a skeleton set .npz, a folder of keypoint .npz files (one per person), "
                   "a keypoint store (made by extract or import-pyskl), or a clip folder "
                   "CLIPS/<class>/<video or keypoint .npz> as `train --from` reads")
    from .train import add_dataset_options

    add_dataset_options(p)
    p.add_argument("--groups", metavar="CSV", default=None,
                   help="with a clip folder: relative_path,group rows saying whose each clip is (as `train --from` "
                        "reads them); without it the clips' people are unknown and not split into seen and unseen")
    p.add_argument("--confusion", metavar="OUT.png", default=None,
                   help="confusion-matrix PNG (default: confusion_<model>.png)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm.auto import tqdm

    from ..body import COMMON_LAYOUTS
    from ..evaluation import Report
    from ..layouts import COMMON_BODY
    from ..models import get_model, resolve_model
    from ..plots import plot_confusion
    from ..clips import is_clip_folder, read_clip_folder
    from ..datasets.skeleton_file import SkeletonFile
    from ..pairs import PAIR_LAYOUT
    from ..skeleton_training import model_labels, skeleton_sequences
    from ..training import load_keypoints, seen_unseen

    from .pose import settings_for_model, settings_from
    from .train import dataset_args

    from ..errors import PoseharError
    from ..outputs import Output, check_outputs

    path = resolve_model(args.model)
    png = args.confusion or f"confusion_{Path(path).name}.png"
    check_outputs([Output(png, "--confusion", (".png", ".pdf", ".svg"))],
                  inputs=[path, args.data, args.root, args.store, args.groups])
    from_dataset = dataset_args(args)  # checked before the model is loaded
    clip_folder = not from_dataset and is_clip_folder(args.data)
    if args.groups and not clip_folder:
        raise PoseharError("--groups applies to a clip folder; other data say whose each sequence is themselves")
    clf = get_model(path)
    layout = clf.feature_config_.layout
    reads_body = layout if layout in COMMON_LAYOUTS else None  # skeleton sets are read in the body it reads
    if from_dataset:
        from ..datasets.protocols import protocol_split
        from ..training import store_sequences

        train, test = protocol_split(args.dataset, args.root, args.split, **dict(args.options))
        part, name = (train, "all") if test is None else (test, "test")
        if not len(part):
            raise PoseharError(f"{args.dataset} split {args.split}: its {name} part holds no samples")
        X, y, groups = store_sequences(part.samples, args.store, settings_from(args), layout=reads_body)
        args.data = f"{args.dataset} split {args.split} {name}"
    elif clip_folder:
        X, y, groups = read_clip_folder(args.data, settings_for_model(args, clf), groups_file=args.groups)
    elif Path(args.data).is_file():  # a skeleton set; anything else is named as not one
        sf = SkeletonFile(args.data)
        labels = model_labels(clf, sf)
        if clf.feature_config_.layout == PAIR_LAYOUT:
            from ..pair_training import pair_file_sequences

            X, y, groups = pair_file_sequences(args.data, labels=labels)
        else:
            X, y, groups = skeleton_sequences(sf, labels=labels, layout=reads_body or COMMON_BODY.name)
        if labels is not None:  # on stderr: --json's stdout is the report alone
            print(f"{sf.path.name}: {len(X)} of {len(sf)} sequences have labels the vocabulary maps to this "
                  f"model's classes; scored on those", file=sys.stderr)
    else:
        X, y, groups = load_keypoints(args.data)
    if not X:
        raise PoseharError(f"{args.data}: no sequences to score (none with a person seen, or none of its classes)")
    y = np.asarray(y)
    pred = np.concatenate([clf.predict(X[i:i + 256]) for i in tqdm(range(0, len(X), 256), desc="evaluate", unit="batch")])
    training = getattr(clf, "training_", {})
    people_unknown = clip_folder and not args.groups  # each clip would be its own "person"
    seen, unseen = np.zeros((2, len(y)), bool) if people_unknown else seen_unseen(training.get("groups", []), groups)
    out: dict = {"model": str(path), "data": args.data}
    report = Report.from_predictions(y, pred, clf.classes_)
    out["all"] = report.__dict__
    lines = [f"accuracy: {report.accuracy:.4f} ({report.n} sequences of {Path(str(args.data)).name})"]
    foreign = {str(c): int((y == c).sum()) for c in sorted(set(y.astype(str)) - set(map(str, clf.classes_)))}
    if foreign:
        out["classes_not_in_model"] = foreign
        lines.append(f"{sum(foreign.values())} of them are of classes this model does not have, counted as wrong "
                     "and in no row below: " + ", ".join(f"{c} ({n})" for c, n in foreign.items()))
    cv = training.get("cross_validation")
    if cv:
        lines.append(f"cross-person accuracy recorded at training ({cv['protocol']}): "
                     f"{cv['accuracy_mean']:.4f} ± {cv['accuracy_std']:.4f}")
        out["cross_validation"] = {k: cv[k] for k in ("protocol", "accuracy_mean", "accuracy_std", "fold_accuracy")}
    recorded = _recorded_figures(training)
    if recorded:
        out["recorded_at_training"] = recorded
    lines += recorded
    if people_unknown:
        lines.append("the clips' people are not known (no --groups): not split into people seen and not seen in "
                     "training")
    if unseen.any():
        rep = Report.from_predictions(y[unseen], pred[unseen], clf.classes_)
        out["unseen_people"] = rep.__dict__
        lines.append(f"people NOT seen in training ({len(set(np.asarray(groups)[unseen]))}): {rep.text()}")
    if seen.any():
        rep = Report.from_predictions(y[seen], pred[seen], clf.classes_)
        out["seen_people"] = rep.__dict__
        lines.append(f"people seen in training ({len(set(np.asarray(groups)[seen]))}; NOT a cross-person figure): "
                     f"{rep.text()}")
    title = f"{Path(path).name} on {Path(str(args.data)).name}"
    plot_confusion(np.asarray(report.confusion), report.classes, png, title=title)
    out["confusion_png"] = png
    print(json.dumps(out, indent=2) if args.json else "\n".join(lines + [f"confusion matrix: {png}"]))
    return 0


def _recorded_figures(training: dict) -> list[str]:
    """The other figures a training record holds, one line each: a protocol's test part, each set's held-out
    people (a model trained on skeleton sets), the cross-validated accuracy on taught clips."""
    lines = []
    test = training.get("test")
    if test:
        lines.append(f"test accuracy recorded at training ({training.get('protocol', 'the protocol')}): "
                     f"{test['accuracy']:.4f} ({test['n']} sequences)")
    sets = training.get("set_results")
    if sets:
        lines.append(f"held-out people's accuracy recorded at training ({sets['protocol']}): "
                     + ", ".join(f"{r['set']} {r['accuracy']:.3f}" for r in sets["rows"]))
    taught = training.get("taught", {}).get("cross_validation")
    if taught:
        kind = "grouped by person" if taught["grouped"] else "stratified"
        lines.append(f"cross-validated accuracy on the taught clips ({taught['folds']} folds, {kind}): "
                     f"{taught['accuracy']:.4f}")
    return lines
