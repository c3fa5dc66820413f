"""The shared skeleton format: one self-describing ``.npz`` per data set.

Arrays (read with ``allow_pickle=False``): ``joints`` (total_frames, J, C), ``offsets`` (N+1),
``joint_names`` (J,), ``fps`` (0-d, NaN when unknown), ``labels`` and ``subjects`` (N,), and
optionally ``split`` / ``split1..3`` (per-sequence "train"/"test"), ``views``, ``frame_hw``.
The layout is identified from ``joint_names`` (:func:`posehar.body.identify_layout`), never
from the file name; a two-person file (joint names prefixed ``p1_`` / ``p2_``, as SBU) gives
each sequence's first person unless ``person=2``. Subjects are the groups; the standard
protocol comes from the arrays present (:func:`SkeletonFile.protocol`).
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path

import numpy as np

from ..body import identify_layout, to_common
from ..errors import NPZ_READ_ERRORS, DatasetLayoutError, KeypointFormatError
from ..geometry import View
from ..sequence import KeypointSequence, declared_arrays
from ..skeleton import SkeletonClip
from .base import ActionDataset, Sample, preview

MAX_FRAMES = 20_000_000  # joints rows a file may declare (4.8 GB of 20 float32 3D joints)
REQUIRED = ("joints", "offsets", "joint_names", "labels", "subjects")


def is_skeleton_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an .npz holding the shared skeleton format's arrays (cheap: reads the zip index)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = {n[:-4] for n in z.namelist() if n.endswith(".npy")}
    except (OSError, zipfile.BadZipFile, ValueError):
        return False
    return set(REQUIRED) <= names


def holds_skeleton_sets(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a folder with at least one shared-format skeleton set file in it."""
    p = Path(folder)
    return p.is_dir() and any(is_skeleton_file(f) for f in p.glob("*.npz"))


class SkeletonFile(ActionDataset):
    """One shared-format skeleton set, as an :class:`ActionDataset` of its sequences.

    ``SkeletonFile("../shared/data/skeletons/g3d.npz")``; ``samples[i]`` is sequence i (kind
    ``skeleton_npz``, group = its subject); :meth:`clip` gives its joints in the source layout,
    :meth:`sequence` in the common body layout.
    """

    name = "skeletons"

    def __init__(self, path: str | os.PathLike, person: int = 1) -> None:
        self.path = Path(path)
        arrays = _read(self.path)
        self.joint_names = tuple(str(n) for n in arrays["joint_names"])
        self.person = person
        self._columns, names = _person_columns(self.joint_names, person, self.path)
        try:
            self.layout = identify_layout(names)
        except KeypointFormatError as exc:
            raise DatasetLayoutError(f"{self.path}: {exc}") from None
        self._person_names = names
        self.joints = arrays["joints"]
        self.offsets = arrays["offsets"].astype(np.int64)
        self.labels = arrays["labels"].astype(str)
        self.subjects = arrays["subjects"].astype(str)
        fps = float(arrays["fps"]) if "fps" in arrays else math.nan
        self.fps = fps
        self.extra = {k: v for k, v in arrays.items() if k not in (*REQUIRED, "fps")}
        _check(self)
        samples = [Sample(self.path, str(lab), str(sub), "skeleton_npz", i)
                   for i, (lab, sub) in enumerate(zip(self.labels, self.subjects))]
        super().__init__(sorted(set(self.labels)), samples)

    def clip(self, i: int) -> SkeletonClip:
        """Sequence ``i``'s joints in the source's own layout (negative ``i`` counts from the end)."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"sequence {i} of {self.path.name}: it holds {len(self)} (0 to {len(self) - 1})")
        i = int(i) % len(self)
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        joints = self.joints[a:b][:, self._columns].astype(np.float32)
        size = (0, 0)
        if "frame_hw" in self.extra:
            h, w = (int(v) for v in self.extra["frame_hw"][i])
            size = (w, h)
        meta = {k: str(v[i]) for k, v in self.extra.items() if v.ndim == 1 and len(v) == len(self.labels)}
        try:
            return SkeletonClip(joints=joints, joint_names=self._person_names, fps=self.fps,
                                label=str(self.labels[i]), subject=str(self.subjects[i]),
                                source=f"{self.path}#{i}", frame_size=size, meta=meta)
        except KeypointFormatError as exc:
            raise DatasetLayoutError(str(exc)) from None

    def sequence(self, i: int, view: View | None = None, layout: str = "common_body") -> KeypointSequence:
        """Sequence ``i`` in the common-body ``layout`` (3D sets seen from ``view``, default the sensor)."""
        return to_common(self.clip(i), view, layout=layout)

    @property
    def is_3d(self) -> bool:
        """True when the set's joints are 3D camera-space coordinates (layout space ``camera3d``)."""
        return self.layout.space == "camera3d"

    def protocol(self, split: int = 1) -> tuple[str, np.ndarray, np.ndarray] | None:
        """(description, train indices, test indices) of the set's own split, None when it has none.

        ``split`` (train/test per sequence) or ``split1..3`` (choose with ``split``); ``views``:
        cross-view, views 1 and 2 train, view 3 tests. Sets with neither are cross-subject
        (see :func:`cross_subject_folds`).
        """
        key = "split" if "split" in self.extra else (f"split{split}" if f"split{split}" in self.extra else None)
        if key is not None:
            s = self.extra[key].astype(str)
            return f"official split ({key})", np.flatnonzero(s == "train"), np.flatnonzero(s == "test")
        if "views" in self.extra:
            v = np.char.lstrip(np.char.lower(self.extra["views"].astype(str)), "v0")
            train = np.flatnonzero(np.isin(v, ["1", "2"]))
            test = np.flatnonzero(v == "3")
            if len(train) and len(test):
                return "cross-view: views 1, 2 train, view 3 test", train, test
        return None


def labels_and_subjects(path: str | os.PathLike) -> tuple[list[str], list[str]]:
    """A skeleton set file's labels and subjects, its headers checked, without reading its joints."""
    arrays = _read(Path(path), keys=("labels", "subjects"))
    return arrays["labels"].astype(str).tolist(), arrays["subjects"].astype(str).tolist()


def _read(path: Path, keys: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The file's arrays (only ``keys`` when given), after its headers are checked."""
    if path.is_dir():
        raise DatasetLayoutError(f"{path} is a folder; a skeleton set is one .npz file (a folder of them trains "
                                 "through a vocabulary: posehar.training.train_skeleton_sets)")
    if not path.is_file():
        raise DatasetLayoutError(f"skeleton file {path} does not exist")
    try:
        declared = declared_arrays(path)
        missing = [k for k in REQUIRED if k not in declared]
        if missing:
            raise DatasetLayoutError(
                f"{path} is not a skeleton set file: it lacks {', '.join(missing)} (has {preview(sorted(declared))})")
        _check_declared(path, declared)
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in (keys or data.files)}
    except DatasetLayoutError:
        raise
    except NPZ_READ_ERRORS as exc:
        raise DatasetLayoutError(f"{path} is not a readable skeleton .npz file ({exc})") from None


def _check_declared(path: Path, declared: dict) -> None:
    """Shapes and kinds of the arrays, from their headers, before any is loaded."""
    frames = declared["joints"][0][0] if declared["joints"][0] else 0
    if frames > MAX_FRAMES:
        raise DatasetLayoutError(f"{path}: {frames} frames is more than the {MAX_FRAMES} a skeleton file may hold")
    for name in ("joint_names", "labels", "subjects"):
        if len(declared[name][0]) != 1:
            raise DatasetLayoutError(f"{path}: {name} must be one-dimensional, got shape {declared[name][0]}")
    if declared["offsets"][1].kind not in "iu":
        raise DatasetLayoutError(f"{path}: offsets must be integers, got {declared['offsets'][1]}")
    if "fps" in declared and (declared["fps"][0] != () or declared["fps"][1].kind not in "iuf"):
        raise DatasetLayoutError(f"{path}: fps must be one number, got shape {declared['fps'][0]} of "
                                 f"{declared['fps'][1]}")


def is_two_person(joint_names) -> bool:
    """Whether a skeleton file's joints are two people's: every name prefixed ``p1_`` or ``p2_`` (as SBU)."""
    prefixed = [str(n).split("_", 1) for n in joint_names]
    return all(len(p) == 2 and p[0] in ("p1", "p2") for p in prefixed)


def _person_columns(names: tuple[str, ...], person: int, path: Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """Joint columns and names of one person (two-person files prefix names with p1_ / p2_)."""
    prefixed = [n.split("_", 1) for n in names]
    if is_two_person(names):
        if person not in (1, 2):
            raise DatasetLayoutError(f"{path} holds two people; person must be 1 or 2, got {person}")
        cols = [i for i, p in enumerate(prefixed) if p[0] == f"p{person}"]
        return np.array(cols), tuple(prefixed[i][1] for i in cols)
    if person != 1:
        raise DatasetLayoutError(f"{path} holds one person per sequence; person {person} does not exist")
    return np.arange(len(names)), names


def _check(f: SkeletonFile) -> None:
    p, j, o = f.path, f.joints, f.offsets
    n = len(f.labels)
    if j.ndim != 3 or j.shape[1] != len(f.joint_names) or j.shape[2] not in (2, 3, 4):
        raise DatasetLayoutError(f"{p}: joints must be (frames, {len(f.joint_names)}, 2-4), got {j.shape}")
    if j.dtype.kind != "f":
        raise DatasetLayoutError(f"{p}: joints must be floating point, got {j.dtype}")
    if f.subjects.shape != (n,) or o.shape != (n + 1,):
        raise DatasetLayoutError(f"{p}: {n} labels need {n} subjects and {n + 1} offsets, got "
                                 f"{f.subjects.shape[0]} and {o.shape[0]}")
    if n == 0 or o[0] != 0 or o[-1] != j.shape[0] or np.any(np.diff(o) < 1):
        raise DatasetLayoutError(f"{p}: offsets must rise from 0 to {j.shape[0]} with every sequence at least one frame")
    if not np.isfinite(j).all():
        raise DatasetLayoutError(f"{p}: joints contain NaN or infinite values")


def cross_subject_folds(groups, folds: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped folds over subjects, subjects shuffled by ``seed`` (every subject tests in exactly one fold)."""
    groups = np.asarray(groups)
    k = min(folds, len(np.unique(groups)))
    if k < 2:
        raise DatasetLayoutError(f"cross-subject folds need at least 2 subjects, got {len(np.unique(groups))}")
    rng = np.random.default_rng(seed)
    people = rng.permutation(np.unique(groups))
    rank = {g: i for i, g in enumerate(people)}
    fold_of = np.array([rank[g] % k for g in groups])
    idx = np.arange(len(groups))
    return [(idx[fold_of != f], idx[fold_of == f]) for f in range(k)]
