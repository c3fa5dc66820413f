"""posehar overlay VIDEO -o OUT.mp4: skeletons (and optionally the predicted action) on a video."""

from __future__ import annotations

import argparse
import sys

from .pose import add_pose_options, settings_from


def register(sub) -> None:
    """Add the ``posehar overlay`` subcommand."""
    p = sub.add_parser("overlay", help="draw skeletons (and the predicted action) on a video",
                       description="Write an .mp4 with body and hand skeletons drawn on every frame.")
    p.add_argument("video")
    p.add_argument("-o", "--out", required=True, help="output .mp4")
    p.add_argument("--keypoints-file", help="use keypoints from this .npz instead of running MediaPipe")
    p.add_argument("--model", default=None, help="also label frames with this model's prediction")
    p.add_argument("--no-label", action="store_true", help="skeletons only, no prediction")
    p.add_argument("--sheet", metavar="OUT.png", help="also write a contact sheet")
    add_pose_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``posehar overlay``; return the exit status."""
    from ..overlay import contact_sheet, keypoints_mismatch, last_frame_read, write_overlay
    from ..pose import extract_keypoints
    from ..prediction import predict_sequence
    from ..models import resolve_model
    from ..outputs import Output, check_outputs
    from ..sequence import KeypointSequence
    from ..video import probe_video
    from .predict import SHEET_SUFFIXES

    check_outputs([Output(args.out, "-o", (".mp4",)), Output(args.sheet, "--sheet", SHEET_SUFFIXES)],
                  inputs=[args.video, args.keypoints_file, None if args.no_label else resolve_model(args.model)])
    if args.keypoints_file:
        seq = KeypointSequence.load(args.keypoints_file)
        mismatch = keypoints_mismatch(seq, probe_video(args.video))
        if mismatch:
            print(f"posehar: warning: {args.keypoints_file} {mismatch}: its skeletons may not match "
                  f"{args.video}'s frames", file=sys.stderr)
    else:
        seq = extract_keypoints(args.video, settings_from(args), progress=True)
    label_at = None
    if not args.no_label:
        result = predict_sequence(seq, args.model)
        label_at = result.label_at
    write_overlay(args.video, seq, args.out, label_at=label_at,
                  last_frame=last_frame_read(seq) if args.max_frames else None)
    if args.sheet:
        contact_sheet(args.video, seq, args.sheet, label_at=label_at)
    print(f"wrote {args.out}")
    return 0
