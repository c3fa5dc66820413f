"""Who does what, and when: every person in a video, with their action over time.

    python examples/who_does_what.py examples/exercise_three_people.avi

Prints one block per tracked person (id, frames found, box, overall action and top 3), then their
timeline: one line per run of equal labels, ``unknown`` where the model is unsure and ``no person``
where they are out of view. ``--model`` picks another model (a shipped name or a bundle folder,
such as one made by ``examples/teach_new_actions.py -o``).
"""

from __future__ import annotations

import argparse

from posehar import predict_action


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", help="a video file")
    parser.add_argument("--model", default=None, help="shipped model name or bundle folder (default: body_actions)")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    args = parser.parse_args()

    result = predict_action(args.video, model=args.model, people="all", max_frames=args.max_frames, progress=True)
    print(f"{result.source}: {result.frames_read} frames at {result.fps:g} fps, {len(result.people)} people")
    for person in result.people:
        top = ", ".join(f"{label} {p:.2f}" for label, p in person.top_k)
        print(f"\nperson {person.id}: in {person.frames} frames, box {person.box}; "
              f"{person.label} overall (top 3: {top})")
        for segment in person.timeline:
            print(f"  {segment.start_s:6.1f}-{segment.end_s:6.1f} s  {segment.label:<14} {segment.confidence:.2f}")


if __name__ == "__main__":
    main()
