"""Which class a mirror image shows, when class labels name the performer's side.

A mirror image swaps left and right, so a mirrored ``PunchRight`` is a left punch. Where every label
that names a side has its twin among the classes (G3D: KickLeft / KickRight, PunchLeft / PunchRight,
SteerLeft / SteerRight), a mirror image of any clip is a clip of a known class: its own where the label
names no side, the twin where it does. Training may then use mirror images of every clip and
prediction may average a clip with its mirror image. Where some class has no twin (UTD-MHAD's "right
hand wave", MSRC-12's "push right") or a label names "the other" side (Kinder-Gator), a mirror image
may show a class that does not exist, and no mirror images are used.

G3D leave-one-actor-out, inner splits of the training people (seeds 0 and 1): no mirror images 0.774 /
0.919, mirror images with the twins swapped 0.928 / 0.934 (docs/experiments.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_SIDE = re.compile(r"left|right", re.IGNORECASE)
_OTHER = re.compile(r"\bother\b", re.IGNORECASE)
# A mirror image turns the other way: "clockwise" <-> "counter clockwise" (or "counterclockwise", "anticlockwise").
_TURN = re.compile(r"(?:(counter|anti)[\s_-]?)?(clockwise)", re.IGNORECASE)


def _swap(word: str) -> str:
    """``left`` <-> ``right`` in the same letter case (``Left`` -> ``Right``, ``LEFT`` -> ``RIGHT``)."""
    twin = "right" if word.lower() == "left" else "left"
    if word.isupper():
        return twin.upper()
    return twin.capitalize() if word[0].isupper() else twin


def _turn(match: re.Match, label: str) -> str:
    """A turning direction reversed: "counterclockwise" -> "clockwise", "Clockwise" -> "Counter clockwise"."""
    prefix, word = match.group(1), match.group(2)
    if prefix:
        return word.capitalize() if prefix[0].isupper() else word
    sep = "_" if "_" in label else " " if " " in label else ""
    return ("Counter" if word[0].isupper() else "counter") + sep + (word if sep else word.capitalize())


def mirror_label(label: str) -> str | None:
    """The label of ``label``'s mirror image: itself where it names no side or turning direction, left and
    right swapped and clockwise and counter-clockwise swapped where it does, None where it names "the other"
    side (which one depends on an earlier clip)."""
    if _OTHER.search(label):
        return None
    label_sides = _SIDE.sub(lambda m: _swap(m.group(0)), label)
    return _TURN.sub(lambda m: _turn(m, label), label_sides)


def _key(label: str) -> str:
    """How two spellings of one label compare: letter case, spaces, underscores and hyphens aside, and
    "anticlockwise" read as "counterclockwise"."""
    return re.sub(r"[\s_-]+", "", label.lower()).replace("anticlockwise", "counterclockwise")


def mirror_classes(classes: Sequence[str]) -> np.ndarray | None:
    """For each class, the index of the class its mirror image shows; None where some class's mirror
    image is not one of ``classes`` (then no mirror images are used)."""
    exact = {str(c): k for k, c in enumerate(classes)}
    spelt = {_key(str(c)): k for k, c in enumerate(classes)}

    def twin(label: str | None) -> int:
        if label is None:  # the other side
            return -1
        return exact[label] if label in exact else spelt.get(_key(label), -1)

    twins = [twin(mirror_label(str(c))) for c in classes]
    return None if min(twins, default=0) < 0 else np.asarray(twins, dtype=np.int64)
