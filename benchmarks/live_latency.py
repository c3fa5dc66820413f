"""Live mode latency and throughput on a real clip, as ``posehar live`` runs it.

Two runs of :func:`posehar.live.run_live` on one file: as fast as possible (every frame
processed: per-frame processing time and frames/s) and ``--realtime`` (played at the file's
fps like a camera: dropped frames and capture-to-label latency under real pacing).

    python benchmarks/live_latency.py --model models/mp_gestures
    python benchmarks/live_latency.py --model M --video ../shared/data/videos/seed_test_4.mp4 --max-frames 300
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from posehar.live import run_live


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--video", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared/data/videos/exercise_three_people.avi")
    ap.add_argument("--max-frames", type=int, default=200)
    args = ap.parse_args()
    for realtime in (False, True):
        summary = run_live(str(args.video), model=args.model, realtime=realtime, max_frames=args.max_frames)
        summary.update(mode="realtime" if realtime else "as fast as possible", video=args.video.name,
                       load_1min=round(os.getloadavg()[0], 2))
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
