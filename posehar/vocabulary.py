"""The action vocabulary: one posehar label for what is the same action across skeleton sets.

``datasets/vocabulary/vocabulary.csv`` (set, source_label, posehar_label, reason_if_unused) says,
for every label of every shared skeleton set, which posehar label it is, or why it is not used
(empty posehar_label). Left and right are merged everywhere (``PunchRight`` and ``PunchLeft``
are both ``punch``): videos may be mirrored, and the side is in the keypoints when needed.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .errors import DatasetLayoutError

DEFAULT_VOCABULARY = Path(__file__).resolve().parent.parent / "datasets" / "vocabulary" / "vocabulary.csv"
COLUMNS = ("set", "source_label", "posehar_label", "reason_if_unused")


def read_vocabulary(path: str | os.PathLike = DEFAULT_VOCABULARY) -> dict[str, dict[str, str]]:
    """{set: {source label: posehar label}} of the labels that are used."""
    p = Path(path)
    if not p.is_file():
        raise DatasetLayoutError(f"vocabulary file {p} does not exist")
    try:
        rows = list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DatasetLayoutError(f"{p} is not a readable vocabulary CSV ({exc})") from None
    if not rows or tuple(rows[0].keys()) != COLUMNS:
        raise DatasetLayoutError(f"{p}: a vocabulary CSV has the columns {', '.join(COLUMNS)}")
    out: dict[str, dict[str, str]] = {}
    for n, row in enumerate(rows, start=2):
        label = (row["posehar_label"] or "").strip()
        if not label and not (row["reason_if_unused"] or "").strip():
            raise DatasetLayoutError(f"{p} line {n}: an unused label needs a reason")
        if label:
            out.setdefault(row["set"], {})[row["source_label"]] = label
    return out


def set_labels(vocabulary: dict[str, dict[str, str]], file: str | os.PathLike) -> dict[str, str] | None:
    """The label mapping of the set a skeleton file holds (its name, or the longest set name it starts with)."""
    stem = Path(file).stem
    if stem in vocabulary:
        return vocabulary[stem]
    matches = [s for s in vocabulary if stem.startswith(s)]
    return vocabulary[max(matches, key=len)] if matches else None
