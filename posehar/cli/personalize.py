"""posehar personalize MODEL CLIPS -o OUT: adapt a model to one person from a few labelled clips."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    """Add the ``posehar personalize`` subcommand."""
    p = sub.add_parser("personalize", help="adapt a model to one person from a few labelled clips of theirs",
                       description="Adapt a model to one new person ('enrolment'): its logistic regression is "
                                   "refit on a few labelled clips of that person, kept close to the trained one. "
                                   "CLIPS is a folder with one subfolder per class holding that person's videos "
                                   "and/or keypoint .npz files from 'posehar pose', or a batch keypoint .npz with "
                                   "labels (like shared/data/keypoints/mp_gestures). A few clips per class are "
                                   "enough (3 per sign: see docs/cross_person.md, 'Enrolment').")
    p.add_argument("model", help="shipped model name or bundle folder")
    p.add_argument("clips", help="class folders of the person's clips, or a batch keypoint .npz")
    p.add_argument("-o", "--out", required=True, help="output model bundle folder")
    p.add_argument("--force", action="store_true",
                   help="replace -o even if it is not a model bundle (never an input, a folder holding one, "
                        "the current folder or one above it, or your home)")
    from .pose import positive_float

    p.add_argument("--strength", type=positive_float, default=1.0,
                   help="pull towards the trained head (default 1; larger changes the model less)")
    from .pose import add_pose_options

    add_pose_options(p)
    p.set_defaults(run=run)


def read_clips(path: str, settings) -> tuple[list, list[str], str | None]:
    """(sequences, labels, person) of a batch .npz (one person's, named by the file as a keypoint folder
    names its people), or of class folders of videos / keypoint .npz files (videos' keypoints extracted
    once into the cache, as ``posehar train CLIPS --from`` reads them; whose they are is not known)."""
    from ..clips import read_clip_folder
    from ..sequence import load_batch

    if Path(path).suffix.lower() == ".npz":
        batch = load_batch(path)
        return batch, [s.label for s in batch], Path(path).stem
    X, y, _ = read_clip_folder(path, settings)
    return X, y, None


def run(args: argparse.Namespace) -> int:
    """Run ``posehar personalize``; return the exit status."""
    from collections import Counter

    from ..bundle import save_model
    from ..models import get_model, resolve_model
    from ..outputs import Output, check_outputs
    from ..personalize import personalize
    from .pose import settings_for_model

    check_outputs([Output(args.out, "-o", bundle=True, force=args.force)], inputs=[resolve_model(args.model), args.clips])
    model = get_model(args.model)
    X, y, person = read_clips(args.clips, settings_for_model(args, model))  # body keypoints only for a body model
    adapted = personalize(model, X, y, strength=args.strength, person=person)
    save_model(adapted, args.out, training=adapted.training_, force=args.force)
    counts = ", ".join(f"{c} {n}" for c, n in sorted(Counter(y).items()))
    print(f"personalised {args.model} with {len(X)} clips ({counts}) -> {args.out}")
    return 0
