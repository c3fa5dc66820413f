"""Per-person audit of the MediaPipe gestures data: how separable each person's own recordings
are, how a model trained on everyone else reads them, and how often their hands were detected.

For every person: within-person accuracy (stratified 5-fold on that person alone: an estimate of
how cleanly they performed the three signs; with hands, and from the body alone),
leave-one-person-out accuracy (trained on the other 71 people), the fraction of frames with a
detected hand, how often their iloveyou clips show the ASL "I love you" hand (index and pinky
out, middle and ring folded: read from the finger features, no model involved) and their most
frequent confusion. A pair of classes each read mostly as the other, by a person who is
separable on their own, is flagged as a suspected label swap. The
model is the mean/std + logistic-regression baseline of
``cross_person.py``: fast, deterministic, and no tuning involved.

    python benchmarks/person_audit.py [--data ../shared/data/keypoints/mp_gestures]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cross_person import GESTURES, MeanStdLogReg  # noqa: E402

from posehar.features import finger_features  # noqa: E402
from posehar.sequence import load_folder  # noqa: E402

ILY_ABSENT = 0.05  # below this fraction of hand frames, a person's iloveyou clips do not show the sign's hand


def ily_hand_fraction(seqs) -> float:
    """Fraction of the detected hands in these sequences that make the "I love you" hand shape: the
    middle and ring fingertips nearer the wrist than 0.7 of the index and pinky fingertips."""
    shown = []
    for s in seqs:
        for hand, present in ((s.left_hand, s.left_present), (s.right_hand, s.right_present)):
            if hand is not None and present.any():
                h = hand[present] * np.array([4 / 3, 1.0, 1.0], np.float32)  # isotropic units, 4:3 frames
                _, index, middle, ring, pinky = finger_features(h)[:, 25:].T  # fingertip-to-wrist distances
                shown.append((middle < 0.7 * index) & (ring < 0.7 * pinky))
    return float(np.concatenate(shown).mean()) if shown else float("nan")


def within_person(X, y, hands: bool = True) -> float:
    correct = 0
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(y, y):
        model = MeanStdLogReg(hands=hands, seed=0).fit([X[i] for i in tr], y[tr], None)
        correct += int((model.predict([X[i] for i in te]) == y[te]).sum())
    return correct / len(y)


def audit(X, y, groups) -> list[dict]:
    classes = list(np.unique(y))
    rows = []
    for person in np.unique(groups):
        te, tr = np.where(groups == person)[0], np.where(groups != person)[0]
        own = [X[i] for i in te]
        model = MeanStdLogReg(hands=True, seed=0).fit([X[i] for i in tr], y[tr], None)
        cm = confusion_matrix(y[te], model.predict(own), labels=classes)
        off = cm - np.diag(np.diag(cm))
        a, b = np.unravel_index(off.argmax(), off.shape)
        hands = np.mean([(s.left_present | s.right_present).mean() for s in own])
        row = {"person": person, "lopo": float(np.trace(cm) / cm.sum()), "within": within_person(own, y[te]),
               "within_body": within_person(own, y[te], hands=False),
               "hands": float(hands), "ily": ily_hand_fraction([X[i] for i in te if y[i] == "iloveyou"]),
               "confusion": f"{classes[a]}→{classes[b]} {off[a, b]}/{cm[a].sum()}" if off[a, b] else "-"}
        swapped = off[a, b] > cm[a].sum() / 2 and off[b, a] > cm[b].sum() / 2
        row["flag"] = "label swap suspected" if swapped and row["within"] > 0.9 else ""
        rows.append(row)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(GESTURES))
    p.add_argument("--worst", type=int, default=12, help="list this many people, lowest leave-one-out accuracy first")
    args = p.parse_args(argv)
    X, y, groups = load_folder(args.data)
    rows = audit(X, np.asarray(y), np.asarray(groups))
    lopo, within = np.array([r["lopo"] for r in rows]), np.array([r["within"] for r in rows])
    body = np.array([r["within_body"] for r in rows])
    print(f"{len(rows)} people; mean per-person accuracy: within-person {within.mean():.3f} "
          f"(median {np.median(within):.3f}; body only {body.mean():.3f}, median {np.median(body):.3f}), "
          f"leave-one-person-out {lopo.mean():.3f} (median {np.median(lopo):.3f})")
    ily = np.array([r["ily"] for r in rows])
    other = ~(ily >= ILY_ABSENT)
    print(f"iloveyou clips with the I-love-you hand in under {ILY_ABSENT:.0%} of hand frames: {int(other.sum())} people "
          f"({','.join(r['person'] for r, o in zip(rows, other) if o)}), leave-one-person-out {lopo[other].mean():.3f}; "
          f"the other {int((~other).sum())} show it in {np.nanmin(ily[~other]):.0%}-{np.nanmax(ily[~other]):.0%} "
          f"(median {np.nanmedian(ily[~other]):.0%}), leave-one-person-out {lopo[~other].mean():.3f}\n")
    print("| person | leave-one-person-out | within-person | within-person, body only | frames with a hand "
          "| iloveyou hands with the I-love-you shape | most frequent confusion | flag |")
    print("|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: r["lopo"])[: args.worst]:
        print(f"| {r['person']} | {r['lopo']:.2f} | {r['within']:.2f} | {r['within_body']:.2f} | {r['hands']:.2f} "
              f"| {r['ily']:.2f} | {r['confusion']} | {r['flag']} |")


if __name__ == "__main__":
    main()
