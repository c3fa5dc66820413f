"""Leave-one-set-out encoders: the body-action model trained on every shared skeleton set but one.

Used by ``fewshot_sets.py`` (a set's actions taught from k clips on an encoder that never saw the set)
and by ``skeleton_protocols.py --fine-tune`` (a protocol's model fine-tuned from an encoder that never
saw the protocol's set, so none of its test people). Cached by set, seed and epochs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posehar.bundle import load_model  # noqa: E402
from posehar.training import train_skeleton_sets  # noqa: E402

SKELETONS = ROOT.parent / "shared" / "data" / "skeletons"
WORK = Path(tempfile.gettempdir()) / "posehar_fewshot"
# The encoders' epochs, cut to as many whole ones as BODY_PARAMS' 6000 optimiser steps allow (15-20 on these
# 10700-14100 sequences; the README's figures were measured so). All 20, or at most 3000 steps, gave no better
# encoder on the inner splits (docs/experiments.md).
EPOCHS = 20


def encoder_name(held_out: str, epochs: int = EPOCHS, seed: int = 0) -> str:
    """The cache folder's name of the encoder trained without ``held_out`` (also what records cite)."""
    return f"without_{held_out}_seed{seed}_epochs{epochs}"


def encoder_without(held_out: str, work: Path = WORK, epochs: int = EPOCHS, seed: int = 0):
    """The body-action model trained on every shared set but ``held_out`` (a file stem) and the files named
    after it (g3d_streams: G3D's people again); cached in ``work``."""
    out = work / encoder_name(held_out, epochs, seed)
    if not (out / "config.json").is_file():
        with tempfile.TemporaryDirectory() as tmp:
            for f in SKELETONS.glob("*.npz"):
                if not f.stem.startswith(held_out):
                    (Path(tmp) / f.name).symlink_to(f)
                    if f.with_suffix(".json").exists():
                        (Path(tmp) / f.with_suffix(".json").name).symlink_to(f.with_suffix(".json"))
            train_skeleton_sets(tmp, out, epochs=epochs, random_state=seed, progress=False)
    return load_model(out)
