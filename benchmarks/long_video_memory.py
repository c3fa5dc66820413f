"""Peak RSS of ``posehar predict`` versus video length: is memory flat in length?

Builds long videos by concatenating real clips (seed_test_4 and seed_test_6-9, resized to one
size) with cv2.VideoWriter, then runs ``/usr/bin/time -v posehar predict LONG.mp4 --stride K
--quiet --model M [--stream]`` on each and reads "Maximum resident set size".

    python benchmarks/long_video_memory.py --model models/mp_gestures --minutes 2 5 10 --stride 5
    python benchmarks/long_video_memory.py --model models/mp_gestures --minutes 60 --stride 30

MediaPipe Holistic runs at ~20-60 frames/s on CPU, so long videos need ``--stride``; the
pose stage then sees fewer frames but the decoder still reads every one. Run it on an idle
machine (uptime load < 2) if the timings matter; peak RSS does not depend on load.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import cv2

CLIPS = ("seed_test_4.mp4", "seed_test_6.mp4", "seed_test_7.mp4", "seed_test_8.mp4", "seed_test_9.mp4")


def build_video(videos: Path, out: Path, minutes: float, size=(320, 240), fps: float = 30.0) -> Path:
    """Concatenate the clips, repeated, into ``minutes`` of video at ``size`` and ``fps``."""
    if out.is_file():
        return out
    frames = []
    for name in CLIPS:
        cap = cv2.VideoCapture(str(videos / name))
        while True:
            ok, f = cap.read()
            if not ok:
                break
            frames.append(cv2.resize(f, size))
        cap.release()
    tmp = out.with_suffix(".tmp.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(int(minutes * 60 * fps)):
        writer.write(frames[i % len(frames)])
    writer.release()
    tmp.rename(out)
    return out


def peak_rss(cmd: list[str]) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of ``cmd`` under /usr/bin/time -v."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return kb / 1024, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="model bundle or shipped name")
    ap.add_argument("--minutes", type=float, nargs="+", default=[2, 5, 10])
    ap.add_argument("--stride", type=int, default=5)
    ap.add_argument("--videos", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/videos")
    ap.add_argument("--work", type=Path, default=Path("/tmp/posehar-long"))
    ap.add_argument("--no-stream", action="store_true", help="measure the batch path instead")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for minutes in args.minutes:
        video = build_video(args.videos, args.work / f"long_{minutes:g}min.mp4", minutes)
        cmd = [sys.executable, "-m", "posehar", "predict", str(video), "--model", args.model, "--stride",
               str(args.stride), "--quiet", "--json", "--no-stream" if args.no_stream else "--stream"]
        rss, wall = peak_rss(cmd)
        row = {"minutes": minutes, "frames": int(minutes * 60 * 30), "stride": args.stride,
               "path": "batch" if args.no_stream else "stream", "peak_rss_mib": round(rss, 1),
               "wall_s": round(wall, 1), "pose_frames_per_s": round(minutes * 60 * 30 / args.stride / wall, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
