"""``posehar export-pyskl STORE OUT.pkl``: a keypoint store as a PYSKL/MMAction2 annotation pickle."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``posehar export-pyskl`` subcommand."""
    p = subparsers.add_parser(
        "export-pyskl",
        help="export a keypoint store to a PYSKL/MMAction2 skeleton annotation pickle",
        description=(
            "Write every extracted sequence of STORE to OUT.pkl in the PYSKL format (one person, "
            "keypoints in pixels, MediaPipe visibility as keypoint_score, one split 'all')."
        ),
    )
    p.add_argument("store", help="keypoint store folder (from posehar extract)")
    p.add_argument("out", help="annotation pickle to write")
    p.add_argument("--hands", action="store_true",
                   help="append the 2 x 21 hand joints (V = 75 instead of 33; MediaPipe Holistic stores)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``posehar export-pyskl``; return the exit status."""
    from ..interop.pyskl import export_pyskl
    from ..outputs import Output, check_outputs

    check_outputs([Output(args.out, "OUT", (".pkl", ".pickle"))], inputs=[args.store])
    data = export_pyskl(args.store, args.out, hands=args.hands)
    print(f"wrote {len(data['annotations'])} annotations of {len(data['classes'])} classes to {args.out}")
    return 0
