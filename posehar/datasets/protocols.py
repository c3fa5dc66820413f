"""Each dataset's standard train/test protocol, by split number."""

from __future__ import annotations

import os

from ..errors import DatasetLayoutError
from . import get_dataset
from .base import ActionDataset, Sample

PROTOCOLS: dict[str, str] = {
    "ucf101": "official split N (1-3) of ucfTrainTestlist; mean accuracy over the 3 splits is the standard figure",
    "hmdb51": "official split N (1-3): 70 train / 30 test clips per class",
    "ucf11": "leave-one-group-out: group N (1-25) is the test set; the standard figure averages the 25 folds",
    "kth": "standard person split: train 11-18 + validation 1, 4, 19-21, 23-25; test 2, 3, 5-10, 22 (split ignored)",
    "g3d": "actors 1-5 train, actors 6-10 test (split ignored)",
    "custom": "no official split: grouped cross-validation by the groups file (split ignored)",
}


def protocol_split(name: str, root: str | os.PathLike, split: int = 1,
                   **options) -> tuple[ActionDataset, ActionDataset | None]:
    """(train, test) datasets of ``name``'s standard protocol; test is None where there is none (custom)."""
    key = name.lower()
    if key in ("ucf101", "hmdb51"):
        return (get_dataset(key, root, split=split, train=True, **options),
                get_dataset(key, root, split=split, train=False, **options))
    if key == "ucf11":
        return (get_dataset(key, root, fold=split, train=True, **options),
                get_dataset(key, root, fold=split, train=False, **options))
    if key == "kth":
        train = get_dataset(key, root, subset="train", **options)
        val = get_dataset(key, root, subset="val", **options)
        return ActionDataset(train.classes, [*train.samples, *val.samples]), get_dataset(key, root, subset="test", **options)
    if key == "g3d":
        return get_dataset(key, root, train=True, **options), get_dataset(key, root, train=False, **options)
    if key == "custom":
        return get_dataset(key, root, **options), None
    raise DatasetLayoutError(f"unknown dataset {name!r}; known datasets: {', '.join(PROTOCOLS)}")


def all_samples(name: str, root: str | os.PathLike, split: int = 1, **options) -> list[Sample]:
    """Every sample of the protocol (train and test), each once: what ``extract`` must cover."""
    train, test = protocol_split(name, root, split, **options)
    seen, out = set(), []
    for s in [*train.samples, *(test.samples if test else [])]:
        if (s.source, s.index) not in seen:
            seen.add((s.source, s.index))
            out.append(s)
    return out
