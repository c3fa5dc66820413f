"""posehar pose VIDEO -o SEQ.npz: extract keypoints of one video."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..pose import PoseSettings


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (refuses nan and inf)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def add_pose_options(p: argparse.ArgumentParser) -> None:
    """Options that set PoseSettings, shared by the commands that run the pose stage."""
    p.add_argument("--keypoints", choices=("holistic", "body"), default="holistic",
                   help="holistic = body + both hands (default); body = 33 body landmarks, ~2x faster")
    p.add_argument("--model-complexity", type=int, default=1,
                   help="BlazePose model: only 1 ships with mediapipe 0.10.21 (0 and 2 need a download)")
    p.add_argument("--stride", type=positive_int, default=1, help="use every N-th frame (default 1)")
    p.add_argument("--max-frames", type=positive_int, default=None, help="stop after N frames")


def settings_from(args: argparse.Namespace) -> PoseSettings:
    """The pose settings given by a command's pose options (:func:`add_pose_options`)."""
    from ..pose import PoseSettings

    return PoseSettings(keypoints=args.keypoints, model_complexity=args.model_complexity,
                        stride=args.stride, max_frames=args.max_frames)


def settings_for_model(args: argparse.Namespace, model) -> PoseSettings:
    """:func:`settings_from`, reading body keypoints only where ``model`` does not read hands."""
    settings = settings_from(args)
    if settings.keypoints == "holistic" and not model.feature_config_.hands:
        settings = type(settings)(**{**settings.as_dict(), "keypoints": "body"})
    return settings


def register(sub) -> None:
    """Add the ``posehar pose`` subcommand."""
    p = sub.add_parser("pose", help="extract keypoints of a video to .npz",
                       description="Run MediaPipe on a video and save its KeypointSequence (.npz, no pickle).")
    p.add_argument("video")
    p.add_argument("-o", "--out", required=True, help="output .npz")
    add_pose_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``posehar pose``; return the exit status."""
    from ..outputs import Output, check_outputs
    from ..pose import extract_keypoints

    check_outputs([Output(args.out, "-o", (".npz",))], inputs=[args.video])
    seq = extract_keypoints(args.video, settings_from(args), progress=True)
    seq.save(args.out)
    hands = (f", left hand {seq.left_present.mean():.0%}, right hand {seq.right_present.mean():.0%}"
             if args.keypoints == "holistic" else " (body only: hands not looked for)")
    print(f"{args.out}: {len(seq)} frames, person in {seq.person_fraction:.0%}{hands}")
    return 0


def warn_unread_hands(args: argparse.Namespace) -> None:
    """With ``--people all`` (body keypoints only), say so where the model reads hands."""
    import sys

    from ..models import get_model, model_label

    if args.people == "all" and get_model(args.model).feature_config_.hands:
        print(f"posehar: warning: {model_label(args.model)} reads hands, and --people all tracks body keypoints "
              "only: each person's hands are read as not seen", file=sys.stderr)
