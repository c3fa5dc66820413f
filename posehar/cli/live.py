"""posehar live --source 0|FILE|URL: recognise actions as frames arrive, one JSON line per window hop."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys


def register(sub) -> None:
    p = sub.add_parser("live", help="recognise actions live from a camera, stream URL or file",
                       description="Read frames as they come (only the newest is kept, so slow processing "
                                   "drops frames instead of falling behind), predict over a sliding window, "
                                   "and print one JSON line per window hop: time, label, confidence, "
                                   "latency_ms, fps and dropped frames; a summary line at the end.")
    p.add_argument("--source", default="0", help="camera index, stream URL or video file (default 0)")
    p.add_argument("--model", default=None, help="shipped model name or bundle folder (default: the shipped default)")
    p.add_argument("--realtime", action="store_true", help="play a file source at its own fps, like a camera")
    p.add_argument("--jsonl", metavar="OUT", help="also append the JSON lines to this file")
    p.add_argument("--overlay", metavar="OUT.mp4", help="write processed frames with skeleton and label")
    p.add_argument("--show", action="store_true", help="show a window (only if a display exists)")
    from .pose import positive_int

    p.add_argument("--smoothing", type=positive_int, default=3, help="average the last N windows (default 3)")
    p.add_argument("--max-frames", type=positive_int, default=None, help="stop after N source frames")
    p.add_argument("--people", choices=("one", "all"), default="one",
                   help="'all': follow every person; each JSON line gets a \"people\" list (id, box, label, "
                        "confidence, probabilities per tracked person) and the overlay draws each in their own "
                        "colour with id and label (default 'one': the single-person path)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..live import _display_available, event_dict, run_live
    from ..models import resolve_model
    from ..outputs import Output, check_outputs
    from .pose import warn_unread_hands

    check_outputs([Output(args.overlay, "--overlay", (".mp4",)), Output(args.jsonl, "--jsonl")],
                  inputs=[args.source, resolve_model(args.model)])
    warn_unread_hands(args)
    if args.show and not _display_available():
        print("posehar: no display found; running headless", file=sys.stderr)
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(args.jsonl, "a")) if args.jsonl else None

        def emit(record: dict) -> None:
            line = json.dumps(record)
            print(line, flush=True)
            if out:
                out.write(line + "\n")
                out.flush()

        summary = run_live(args.source, model=args.model, realtime=args.realtime, smoothing=args.smoothing,
                           overlay=args.overlay, show=args.show, max_frames=args.max_frames,
                           on_event=lambda e: emit(event_dict(e)), people=args.people)
        emit(summary)
    if not summary.get("windows"):
        from ..errors import PoseharError

        raise PoseharError(f"no window was classified: {args.source} gave {summary.get('frames_processed', 0)} "
                           "frames (an unreadable or truncated source)")
    return 0
