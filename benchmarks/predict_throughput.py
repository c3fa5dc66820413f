"""Frames/s of posehar.predict_action against a bare MediaPipe loop on the same real clips.

    python benchmarks/predict_throughput.py [--keypoints holistic|body] [--model M] [--repeat 2]

The bare loop is what a user would write by hand: cv2 read -> RGB -> mediapipe process.
predict_action adds keypoint packing, features, the GRU and logistic regression.
Figures are frames per second of wall time, single process, best of --repeat runs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from extract_throughput import bare_loop  # the same bare loop as the extraction benchmark

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ["seed_test_4.mp4", "seed_test_6.mp4", "seed_test_7.mp4", "seed_test_8.mp4", "seed_test_9.mp4",
         "arm_wrestling.mp4"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "videos"))
    parser.add_argument("--keypoints", choices=("holistic", "body"), default="holistic")
    parser.add_argument("--model", default=None, help="model (default: the shipped default; its keypoints win)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from posehar import get_model, predict_action

    clf = get_model(args.model)
    keypoints = "holistic" if clf.feature_config_.hands else "body"
    clips = [Path(args.data) / c for c in CLIPS if (Path(args.data) / c).exists()]
    print(f"keypoints={keypoints}, {len(clips)} clips, best of {args.repeat}")
    print(f"{'clip':<22}{'frames':>7}{'bare fps':>10}{'predict fps':>13}{'ratio':>7}")
    tot = {"n": 0, "bare": 0.0, "posehar": 0.0}
    for clip in clips:
        bare, ours = [], []
        for _ in range(args.repeat):
            n, seconds = bare_loop([clip], keypoints)
            bare.append(seconds)
            t = time.perf_counter()
            r = predict_action(clip, model=clf)
            ours.append(time.perf_counter() - t)
            assert r.frames_read == n
        tot["n"] += n
        tot["bare"] += min(bare)
        tot["posehar"] += min(ours)
        print(f"{clip.name:<22}{n:>7}{n / min(bare):>10.1f}{n / min(ours):>13.1f}{min(bare) / min(ours):>7.2f}")
    print(f"{'total':<22}{tot['n']:>7}{tot['n'] / tot['bare']:>10.1f}{tot['n'] / tot['posehar']:>13.1f}"
          f"{tot['bare'] / tot['posehar']:>7.2f}")


if __name__ == "__main__":
    main()
