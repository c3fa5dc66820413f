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
    "kth": "standard person split: train 11-18 + validation 1, 4, 19-21, 23-25; test 2, 3, 5-10, 22 (one split)",
    "g3d": "actors 1-5 train, actors 6-10 test (one split)",
    "custom": "no official split: grouped cross-validation by the groups file (one split)",
    "ntu_rgbd": "split 1: cross-subject (the 20 training performers of Shahroudy et al. 2016); "
                "split 2: cross-view (cameras 2, 3 train, camera 1 test)",
    "penn_action": "the official split: each clip's own train flag, 1,258 train / 1,068 test (one split)",
    "msrc12": "cross-subject, 5 folds: fold N (1-5) tests every 5th of the sorted people from the Nth",
    "utd_mhad": "cross-subject: odd subjects 1, 3, 5, 7 train, even subjects 2, 4, 6, 8 test (one split)",
    "nw_ucla": "cross-view: views 1 and 2 train, view 3 tests (one split)",
    "kinder_gator": "cross-subject, 5 folds over the 20 participants (fold N = split N); "
                    "protocol='adults_to_children' trains on adults and tests on children",
}


def protocol_split(name: str, root: str | os.PathLike, split: int = 1,
                   **options) -> tuple[ActionDataset, ActionDataset | None]:
    """(train, test) datasets of ``name``'s standard protocol; test is None where there is none (custom)."""
    key = name.lower()
    if key in PROTOCOLS and PROTOCOLS[key].endswith("(one split)") and split != 1:
        raise DatasetLayoutError(f"{name} has one standard split ({PROTOCOLS[key][:-len(' (one split)')]}); "
                                 f"split {split!r} is not one of its splits")
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
    if key == "ntu_rgbd":
        if split not in (1, 2):
            raise DatasetLayoutError(f"NTU RGB+D split must be 1 (cross-subject) or 2 (cross-view), got {split!r}")
        protocol = "xsub" if split == 1 else "xview"
        return (get_dataset(key, root, train=True, protocol=protocol, **options),
                get_dataset(key, root, train=False, protocol=protocol, **options))
    if key in ("penn_action", "utd_mhad", "nw_ucla"):
        return get_dataset(key, root, train=True, **options), get_dataset(key, root, train=False, **options)
    if key in ("msrc12", "kinder_gator"):
        return (get_dataset(key, root, train=True, fold=split, **options),
                get_dataset(key, root, train=False, fold=split, **options))
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
