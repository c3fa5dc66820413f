"""``posehar extract DATASET ROOT --out STORE``: keypoints of a whole dataset into a store."""

from __future__ import annotations

import argparse
import sys

from ..errors import DatasetLayoutError
from .pose import add_pose_options, positive_int, settings_from
from .train import dataset_option


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``posehar extract`` subcommand."""
    p = subparsers.add_parser(
        "extract",
        help="extract keypoints of a whole dataset into a store (parallel, resumable)",
        description=(
            "Run the pose stage over every sample of a dataset and save the results in a keypoint "
            "store keyed by video content and pose settings. Rerunning the same command skips what "
            "is done (also after a crash or Ctrl-C); unreadable videos are recorded with their reason."
        ),
    )
    p.add_argument("dataset", help="dataset name, as posehar.datasets.get_dataset knows it (e.g. ucf101, custom)")
    p.add_argument("root", help="the dataset's root folder")
    p.add_argument("--out", required=True, metavar="STORE", help="keypoint store folder (created if missing)")
    p.add_argument("--workers", type=positive_int, default=1, help="local worker processes (default 1)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run on this Dask cluster instead (needs posehar[dask]; workers must see STORE)")
    add_pose_options(p)
    p.add_argument("--frames-fps", type=float, default=30.0, help="frame rate of frame-folder samples (default 30)")
    p.add_argument("--retry-failed", action="store_true", help="retry samples that failed in an earlier run")
    p.add_argument("--split", type=positive_int,
                   help="split / fold number; train and test samples of it are both extracted (default 1)")
    p.add_argument("--set", dest="options", type=dataset_option, action="append", default=[], metavar="KEY=VALUE",
                   help="other dataset option, passed through (VALUE read as JSON if it parses, "
                        "e.g. protocol=\"random\" for ucf11)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``posehar extract``; return the exit status."""
    from ..datasets.protocols import all_samples
    from ..extract import extract_dataset

    from ..outputs import Output, check_outputs

    check_outputs([Output(args.out, "--out", folder=True)], inputs=[args.root])
    if args.scheduler:  # before listing the dataset or creating the store, not after distributed's 30 s
        from ..extract import check_scheduler_reachable

        check_scheduler_reachable(args.scheduler)
    options = dict(args.options)
    try:
        samples = all_samples(args.dataset, args.root, args.split or 1, **options)
    except TypeError as exc:
        raise DatasetLayoutError(f"dataset {args.dataset!r} does not take options {sorted(options)} ({exc})") from None
    if not samples:
        print(f"posehar: error: dataset {args.dataset!r} at {args.root} has no samples", file=sys.stderr)
        return 1
    settings = settings_from(args)
    try:
        report = extract_dataset(
            samples, args.out, settings, workers=args.workers, scheduler=args.scheduler,
            progress=not args.quiet, retry_failed=args.retry_failed, frames_fps=args.frames_fps,
        )
    except ImportError as exc:
        print(f"posehar: error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    bad = len(report.with_status("failed")) + len(report.with_status("error"))
    if bad:
        print(f"posehar: error: {bad} of {len(report.results)} samples gave no keypoints (listed above); "
              "the others' keypoints are kept in the store", file=sys.stderr)
    return 1 if bad else 0
