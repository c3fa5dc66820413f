"""Throughput of ``extract_dataset`` (1 and 2 workers) against a bare MediaPipe loop.

The bare loop is what a script without posehar does: cv2 reads each frame, converts it to
RGB and feeds a MediaPipe Holistic (or Pose) graph in video mode, one graph per clip. posehar
does the same plus content hashing, a fresh keypoint store, process start-up (spawned
workers import MediaPipe) and atomic writes; its frames/s is over the run's wall time.

Example (from the repository root)::

    python benchmarks/extract_throughput.py --keypoints holistic
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_VIDEOS = Path(os.environ.get("POSEHAR_SHARED_DATA", PROJECT.parent / "shared" / "data")) / "videos"
DEFAULT_CLIPS = ["seed_test_4.mp4", "seed_test_6.mp4", "seed_test_7.mp4", "seed_test_8.mp4", "seed_test_9.mp4",
                 "arm_wrestling.mp4", "exercise_three_people.avi"]


def bare_loop(paths: list[Path], keypoints: str) -> tuple[int, float]:
    """(frames, seconds) of cv2 read + MediaPipe process, no posehar."""
    from mediapipe.python.solutions import holistic, pose

    graph_class = holistic.Holistic if keypoints == "holistic" else pose.Pose
    frames, t0 = 0, time.perf_counter()
    for path in paths:
        cap = cv2.VideoCapture(str(path))
        with graph_class(static_image_mode=False, model_complexity=1) as graph:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                graph.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                frames += 1
        cap.release()
    return frames, time.perf_counter() - t0


def posehar_run(paths: list[Path], keypoints: str, workers: int) -> tuple[int, float]:
    """(frames, seconds) of extract_dataset into a fresh store."""
    from posehar.datasets import Sample
    from posehar.extract import extract_dataset
    from posehar.pose import PoseSettings

    samples = [Sample(p, "clip", p.stem, "video") for p in paths]
    with tempfile.TemporaryDirectory() as tmp:
        report = extract_dataset(samples, Path(tmp) / "store", PoseSettings(keypoints=keypoints),
                                 workers=workers, progress=False)
    bad = report.with_status("failed") + report.with_status("error")
    if bad:
        sys.exit(f"extraction failed: {bad}")
    return report.frames, report.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keypoints", choices=("holistic", "body"), default="holistic")
    parser.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS, help="folder of the clips")
    parser.add_argument("--clips", nargs="+", default=DEFAULT_CLIPS, help="clip file names in --videos")
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2], help="posehar worker counts to run")
    args = parser.parse_args()
    paths = [args.videos / c for c in args.clips]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        sys.exit(f"clips not found: {', '.join(missing)}")

    print(f"{len(paths)} clips, keypoints={args.keypoints}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    rows = [("bare MediaPipe loop", 1, *bare_loop(paths, args.keypoints))]
    rows += [("posehar extract_dataset", w, *posehar_run(paths, args.keypoints, w)) for w in args.workers]
    base = rows[0][2] / rows[0][3]
    print(f"\n| {'method':<24} | workers | frames | seconds | frames/s | vs bare |")
    print(f"|{'-' * 26}|---------|--------|---------|----------|---------|")
    for name, workers, frames, seconds in rows:
        fps = frames / seconds
        print(f"| {name:<24} | {workers:>7} | {frames:>6} | {seconds:>7.1f} | {fps:>8.1f} | {fps / base:>6.2f}x |")


if __name__ == "__main__":
    main()
