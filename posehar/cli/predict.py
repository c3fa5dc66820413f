"""posehar predict VIDEO: the action in a video, with probabilities, timeline and overlay."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

SHEET_SUFFIXES = (".png", ".jpg", ".jpeg")


def register(sub) -> None:
    """Add the ``posehar predict`` subcommand."""
    p = sub.add_parser("predict", help="recognise the action in a video",
                       description="Recognise the action in a video with a posehar model (default: the shipped one).")
    p.add_argument("video", help="video file (mp4, avi, ...) or a keypoint sequence .npz from 'posehar pose'")
    p.add_argument("--model", default=None, help="shipped model name or bundle folder (default: the shipped default)")
    from .pose import positive_int

    p.add_argument("--top-k", type=positive_int, default=3, help="how many classes to list (default 3)")
    p.add_argument("--stride", type=positive_int, default=1, help="use every N-th frame (default 1)")
    p.add_argument("--max-frames", type=positive_int, default=None, help="stop after N frames")
    p.add_argument("--overlay", metavar="OUT.mp4", help="also write a video with skeletons and the label")
    p.add_argument("--sheet", metavar="OUT.png", help="also write a contact sheet of a few frames")
    p.add_argument("--timeline", metavar="OUT", action="append", default=[],
                   help="write the timeline as .json, .csv or .png (repeatable)")
    p.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                   help="keep only one model window of keypoints in memory (default: for videos over 5 minutes)")
    p.add_argument("--expect-digest", metavar="SHA256",
                   help="refuse the model unless its bundle digest (posehar info MODEL) is this")
    p.add_argument("--people", choices=("one", "all"), default="one",
                   help="'all': find, track and classify every person (body keypoints only; docs/multi_person.md)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``posehar predict``; return the exit status."""
    from ..errors import PoseharError
    from ..models import resolve_model
    from ..outputs import Output, check_outputs
    from ..overlay import contact_sheet, last_frame_read, write_overlay
    from ..predict import predict_action
    from .pose import warn_unread_hands

    check_outputs([Output(args.overlay, "--overlay", (".mp4",)), Output(args.sheet, "--sheet", SHEET_SUFFIXES),
                   *(Output(t, "--timeline", (".json", ".csv", ".png")) for t in args.timeline)],
                  inputs=[args.video, resolve_model(args.model)])
    if args.expect_digest:
        from ..bundle import check_digest

        check_digest(resolve_model(args.model), args.expect_digest)
    if str(args.video).lower().endswith(".npz"):  # predict_action reads it as a saved KeypointSequence
        if args.overlay or args.sheet:
            raise PoseharError("--overlay and --sheet need a video; a keypoint .npz has no frames to draw on")
        if args.people == "all":
            raise PoseharError("--people all needs a video; a keypoint .npz holds one person")
    warn_unread_hands(args)
    # Streamed videos keep their keypoints in memmaps in a temp folder, only while overlays are drawn.
    with tempfile.TemporaryDirectory(prefix="posehar-kp-") as kp_dir:
        result = predict_action(args.video, model=args.model, top_k=args.top_k, stride=args.stride,
                                max_frames=args.max_frames, progress=not (args.quiet or args.json),
                                streaming=args.stream, keypoints_dir=kp_dir if args.overlay or args.sheet else None,
                                people=args.people)
        people = getattr(result, "people", None)
        _report(args, result, people)  # before anything is drawn: a failed overlay loses no prediction
        drawn = people[0].keypoints if people else result.keypoints
        last = last_frame_read(drawn) if args.max_frames and drawn is not None else None
        if people:
            from ..multipose.draw import people_contact_sheet, write_people_overlay

            if args.overlay:
                write_people_overlay(args.video, people, args.overlay, last_frame=last)
            if args.sheet:
                people_contact_sheet(args.video, people, args.sheet)
        else:
            if args.overlay:
                write_overlay(args.video, result.keypoints, args.overlay, label_at=result.label_at, last_frame=last)
            if args.sheet:
                contact_sheet(args.video, result.keypoints, args.sheet, label_at=result.label_at)
        for holder in people or [result]:
            holder.keypoints = None  # let go of the memmaps in kp_dir before it is removed
    if not args.json:
        for out in [args.overlay, args.sheet]:
            if out:
                print(f"  wrote {out}", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace, result, people) -> None:
    """Save ``result``'s timelines and print it (JSON with ``--json``, else a summary)."""
    from ..prediction import save_timeline

    for out in args.timeline:
        save_timeline(result, out)
    if args.json:
        print(result.to_json())
        return
    if result.label in result.probabilities:
        headline = f"{result.label} ({result.confidence:.1%})"
    elif result.top_k:
        closest, p = result.top_k[0]
        headline = (f"{result.label} (closest class: {closest} at {p:.1%}, not trusted: "
                    f"{result.unknown_because or 'low confidence'})")
    else:
        headline = result.label
    print(f"{Path(args.video).name}: {headline}")
    for label, prob in result.top_k:
        print(f"  {label:<20} {prob:.3f}")
    print(f"  frames read {result.frames_read}, person in {result.person_fraction:.0%} of them")
    for seg in result.timeline if not people else []:
        conf = f" ({seg.confidence:.0%})" if seg.label in result.probabilities else ""
        print(f"  {seg.start_s:7.2f}-{seg.end_s:7.2f}s  {seg.label}{conf}")
    for pair in getattr(result, "pairs", []):
        a, b = pair.ids
        conf = f" ({pair.confidence:.1%})" if pair.label in pair.probabilities else ""
        print(f"  pair #{a} + #{b}: {pair.label}{conf}, together in {pair.frames} frames")
        for seg in pair.timeline:
            print(f"    {seg.start_s:7.2f}-{seg.end_s:7.2f}s  {seg.label}")
    for person in [] if getattr(result, "pairs", None) else people or []:
        conf = f" ({person.confidence:.1%})" if person.label in person.probabilities else ""
        print(f"  person #{person.id}: {person.label}{conf}, found in {person.frames} frames, box {person.box}")
        for seg in person.timeline:
            print(f"    {seg.start_s:7.2f}-{seg.end_s:7.2f}s  {seg.label}")
    for out in args.timeline:
        print(f"  wrote {out}", file=sys.stderr)
