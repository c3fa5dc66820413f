"""Training pair models on two-person skeleton files (SBU): pair sequences, cross-validation, a saved bundle.

``posehar train SET.npz -o MODEL --pairs`` (:func:`train_pair_file`): every recording as a pair
of people (:mod:`posehar.pairs`), both orders, 3D recordings also seen from random viewpoints (one
camera for both people); cross-validated by pair of people (the file's ``subjects``), then the
final fit on everything.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .classifier import PoseActionClassifier
from .datasets.skeleton_file import SkeletonFile, is_two_person
from .errors import NPZ_READ_ERRORS, DatasetLayoutError
from .geometry import View
from .pairs import PAIR_LAYOUT, orders, pair_from_clips
from .sequence import KeypointSequence
from .skeleton_training import BODY_PARAMS, TRAIN_VIEWS, grouped_cv
from .training import fit_and_save


def holds_pairs(path: str | os.PathLike) -> bool:
    """Whether a shared-format skeleton file holds two people per sequence (reads only its joint names)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return is_two_person(data["joint_names"])
    except (KeyError, *NPZ_READ_ERRORS):
        return False  # the skeleton file reader says what is wrong with it


def pair_file(path: str | os.PathLike):
    """The two people of a two-person skeleton file, as two :class:`~posehar.datasets.skeleton_file.SkeletonFile`.

    Raises DatasetLayoutError when the file holds one person per sequence.
    """
    first = SkeletonFile(path, person=1)
    if not is_two_person(first.joint_names):
        raise DatasetLayoutError(f"{first.path} holds one person per sequence (joints {first.joint_names[0]}, ...); "
                                 "a pair model needs a two-person file, joints named p1_... and p2_... (as SBU)")
    return first, SkeletonFile(path, person=2)


def _files(path_or_files) -> tuple[SkeletonFile, SkeletonFile]:
    return pair_file(path_or_files) if isinstance(path_or_files, (str, os.PathLike)) else path_or_files


def pair_file_sequences(path_or_files, indices: Sequence[int] | None = None, views: int = 0, seed: int = 0,
                        both_orders: bool = False, labels: dict[str, str] | None = None
                        ) -> tuple[list[KeypointSequence], list[str], list[str]]:
    """(pair sequences, labels, groups) of a two-person skeleton file's sequences ``indices`` (all by default).

    ``views`` extra random viewpoints per 3D recording (one camera for both people); ``both_orders``
    adds each pair with B first (for training); ``labels`` renames source labels, leaving out those
    not in it. Groups are ``<file stem>:<subject>`` as for one-person files. ``path_or_files``: a path
    or the ``(person 1, person 2)`` files of :func:`pair_file`.
    """
    first, second = _files(path_or_files)
    rng = np.random.default_rng(seed)
    X: list[KeypointSequence] = []
    y: list[str] = []
    groups: list[str] = []
    for i in range(len(first)) if indices is None else indices:
        label = str(first.labels[i])
        if labels is not None:
            if label not in labels:
                continue
            label = labels[label]
        a, b = first.clip(int(i)), second.clip(int(i))
        for v in [None, *(View.random(rng) for _ in range(views if first.is_3d else 0))]:
            pair = pair_from_clips(a, b, v)
            if not pair.pose_present.any():
                continue
            for seq in orders(pair) if both_orders else [pair]:
                seq.label = label
                X.append(seq)
                y.append(label)
                groups.append(f"{Path(first.path).stem}:{a.subject}")
    return X, y, groups


def pair_cross_subject_cv(path_or_files, make_model, folds: int = 5, views: int = 0, seed: int = 0,
                          progress: bool = True) -> dict:
    """Grouped K-fold over the pairs of a two-person file: train on the other pairs (both orders,
    ``views`` extra viewpoints), test on the fold's pairs as recorded. Same record as
    :func:`posehar.evaluation.cross_validate`."""
    files = _files(path_or_files)
    return grouped_cv(files[0].labels.astype(str), files[0].subjects, make_model,
                      lambda idx: pair_file_sequences(files, idx, views=views, seed=seed, both_orders=True),
                      lambda idx: [pair_from_clips(files[0].clip(int(i)), files[1].clip(int(i))) for i in idx],
                      folds=folds, seed=seed, progress=progress, unit="pair of people")


def pair_params() -> dict:
    """What a pair model reads: the body-action settings (:data:`posehar.skeleton_training.BODY_PARAMS`) on pairs,
    with the head on the GRU's outputs alone (``frame_max`` was chosen on one-person splits and not measured on
    pairs; the SBU figures are this head's)."""
    return {**BODY_PARAMS, "layout": PAIR_LAYOUT, "frame_max": 0}


def train_pair_file(data: str | os.PathLike, out: str | os.PathLike, cv: int = 5, views: int | None = None,
                    progress: bool = True, **params) -> tuple[PoseActionClassifier, dict]:
    """Train a pair model on a two-person skeleton ``.npz`` (grouped by its pairs of people) and save it.

    Like :func:`posehar.training.train_skeleton_file`, on pairs: ``views`` random viewpoints per 3D
    recording (default :data:`posehar.skeleton_training.TRAIN_VIEWS`), both orders of every pair;
    with ``cv > 1`` a cross-validation by pair runs first.
    """
    files = pair_file(data)
    views = TRAIN_VIEWS if views is None else views
    params = {**pair_params(), **params}
    seed = params.get("random_state", 0)
    first = files[0]
    record: dict = {
        "data": str(Path(data)), "sequences": len(first),
        "groups": sorted(set(f"{first.path.stem}:{s}" for s in first.subjects)), "classes": first.classes,
        "source_layout": first.layout.name, "people_per_sequence": 2, "training_views": views if first.is_3d else 0,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if cv and cv > 1:
        make = lambda: PoseActionClassifier(verbose=False, **params)  # noqa: E731
        record["cross_validation"] = pair_cross_subject_cv(files, make, folds=cv, views=views, seed=seed,
                                                           progress=progress)
    X, y, groups = pair_file_sequences(files, views=views, seed=seed, both_orders=True)
    return fit_and_save(X, y, groups, out, record, progress, **params)
