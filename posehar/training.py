"""Train a model bundle from keypoint data, with a training record for its model card."""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .body import COMMON_LAYOUTS, SourceLayout, body_layout
from .bundle import save_model
from .classifier import PoseActionClassifier
from .evaluation import cross_validate
from .sequence import load_folder
from .skeleton_training import BODY_PARAMS, SETS_PARAMS, TRAIN_PROPORTIONS, skeleton_sequences
from .store import KeypointStore, is_keypoint_store

if TYPE_CHECKING:
    from .datasets.base import Sample
    from .pose import PoseSettings
    from .sequence import KeypointSequence


def describe_sources(sequences: Sequence[KeypointSequence]) -> list[dict]:
    """Unique (subject, repository, commit, license) records found in the sequences' metadata."""
    seen, out = set(), []
    for s in sequences:
        m = s.meta
        key = (m.get("subject"), m.get("source_repo"), m.get("commit"))
        if key not in seen and any(key):
            seen.add(key)
            out.append({k: m.get(k) for k in ("subject", "source_repo", "commit", "license", "mirrored_input_suspected")})
    return out


def load_keypoints(folder: str | os.PathLike) -> tuple[list[KeypointSequence], list[str], list[str]]:
    """(sequences, labels, groups) of a keypoint folder: a keypoint store (its extracted sequences,
    grouped as they were extracted or imported) or batch files (one per person = one group)."""
    if is_keypoint_store(folder):
        return KeypointStore(folder, create=False).labelled_sequences()
    return load_folder(folder)


def train_folder(data: str | os.PathLike, out: str | os.PathLike, cv: int = 5, progress: bool = True,
                 **params) -> tuple[PoseActionClassifier, dict]:
    """Train on a keypoint folder (:func:`load_keypoints`) and save a bundle.

    With ``cv > 1`` a grouped cross-validation by person runs first and its figures go into
    the bundle's training record. Returns (fitted classifier, training record).
    """
    X, y, groups = load_keypoints(data)
    make = lambda: PoseActionClassifier(verbose=False, **params)  # noqa: E731
    record: dict = {
        "data": str(Path(data)), "sequences": len(X), "groups": sorted(set(groups)),
        "classes": sorted(set(y)), "sources": describe_sources(X),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if cv and cv > 1:
        record["cross_validation"] = cross_validate(make, X, y, groups, folds=cv, progress=progress)
    return fit_and_save(X, y, groups, out, record, progress, **params)


def final_fit(X: Sequence[KeypointSequence], y: Sequence[str], groups: Sequence[str] | None, record: dict,
              progress: bool = True, **params) -> PoseActionClassifier:
    """The final fit on everything; the model it started from, its time and best validation accuracy in ``record``."""
    base = params.get("encoder_from")
    if base is not None:
        made = getattr(base, "training_", {})
        record["fine_tuned_from"] = {"classes": len(base.classes_),
                                     **{k: made[k] for k in ("command", "date") if k in made}}
    start = time.perf_counter()
    clf = PoseActionClassifier(verbose=progress, **params).fit(X, y, groups)
    record["fit_seconds"] = time.perf_counter() - start
    record["validation_accuracy"] = max(clf.history_.get("val_accuracy") or [float("nan")])
    return clf


def fit_and_save(X: Sequence[KeypointSequence], y: Sequence[str], groups: Sequence[str] | None,
                 out: str | os.PathLike, record: dict, progress: bool = True, **params) -> tuple[PoseActionClassifier, dict]:
    """:func:`final_fit`, saved as a bundle with ``record`` as its training record."""
    clf = final_fit(X, y, groups, record, progress, **params)
    save_model(clf, out, training=record)
    return clf, record


def seen_unseen(groups_seen: Iterable[str], groups: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Masks of samples whose group the model was / was not trained on."""
    seen = np.isin(np.asarray(groups), np.asarray(list(groups_seen)))
    return seen, ~seen


def skeleton_samples(samples: Sequence[Sample]) -> bool:
    """Whether ``samples`` are all skeleton-format files (NTU, Penn Action, MSRC-12, ...), read without a store."""
    from .datasets.skeletons import SKELETON_READERS

    return bool(samples) and all(s.kind in SKELETON_READERS for s in samples)


def store_sequences(samples: Sequence[Sample], store_root: str | os.PathLike | None, settings: PoseSettings,
                    frames_fps: float = 30.0, layout: str | None = None
                    ) -> tuple[list[KeypointSequence], list[str], list[str]]:
    """The stored sequences of ``samples`` (labels and groups from the samples); skeleton-format
    samples (NTU, Penn Action, MSRC-12, ...) are read from their files, no store needed, in the
    common-body ``layout`` (by default the one their sources give: :func:`posehar.body.body_layout`).

    Raises StoreError naming how many are missing and the command that extracts them.
    """
    from .errors import StoreError

    if skeleton_samples(samples):
        from .skeleton_training import sample_sequences

        return sample_sequences(samples, layout=layout)
    if store_root is None:
        raise StoreError("this dataset's videos are read from a keypoint store: give --store (run 'posehar extract' "
                         "first)")

    if not is_keypoint_store(store_root):
        raise StoreError(f"{store_root} is not a keypoint store; run 'posehar extract DATASET ROOT --out {store_root}' first")
    store = KeypointStore(store_root, create=False)
    seqs, missing = [], []
    for s in samples:
        seq = store.get(s, settings, frames_fps)
        (missing.append(s) if seq is None else seqs.append(seq))
    if missing:
        raise StoreError(
            f"{len(missing)} of {len(samples)} samples have no keypoints in {store_root} with these pose settings "
            f"(first: {missing[0].source}); run 'posehar extract' on the dataset first, with the same settings")
    return seqs, [s.label for s in samples], [s.group for s in samples]


def train_dataset(name: str, root: str | os.PathLike, store_root: str | os.PathLike | None, out: str | os.PathLike,
                  split: int = 1, settings: PoseSettings | None = None, cv: int = 0,
                  progress: bool = True, options: dict | None = None, **params) -> tuple[PoseActionClassifier, dict]:
    """Train on the train part of a dataset's standard protocol from an extracted store, test on its test part;
    ``options`` go to the dataset (e.g. ``protocol="adults_to_children"`` for Kinder-Gator)."""
    from .datasets.protocols import PROTOCOLS, protocol_split
    from .evaluation import Report
    from .pose import PoseSettings

    from .skeleton_training import TRAIN_VIEWS, sample_sequences

    settings = settings or PoseSettings()
    options = dict(options or {})
    train, test = protocol_split(name, root, split, **options)
    skeletons = skeleton_samples(train.samples)
    if skeletons:
        # Skeleton files: the common body, extra viewpoints of 3D recordings, no store.
        X, y, groups = sample_sequences(train.samples, views=TRAIN_VIEWS, seed=params.get("random_state", 0),
                                        layout=skeleton_layout(params, None))
        params = {**BODY_PARAMS, "layout": X[0].layout, **params}
    else:
        X, y, groups = store_sequences(train.samples, store_root, settings)
    params.setdefault("layout", X[0].layout)
    params.setdefault("hands", X[0].has_hands)
    protocol = PROTOCOLS[name.lower()] + "".join(f"; {k}={v}" for k, v in options.items())
    record: dict = {"dataset": name, "root": str(root), "split": split, "options": options, "protocol": protocol,
                    "sequences": len(train.samples), "groups": sorted(set(groups)), "classes": sorted(set(y)),
                    "training_views": TRAIN_VIEWS if skeletons else 0, "pose_settings": settings.as_dict(),
                    "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    if test is None or (cv > 1 and not skeletons):  # skeleton sets: their protocol's test part is the figure
        make = lambda: PoseActionClassifier(verbose=False, **params)  # noqa: E731
        record["cross_validation"] = cross_validate(make, X, y, groups, folds=max(cv, 2), progress=progress)
    clf = final_fit(X, y, groups, record, progress, **params)
    if test is not None:
        Xt, yt, _ = store_sequences(test.samples, store_root, settings, layout=clf.layout)
        record["test"] = Report.from_predictions(yt, clf.predict(Xt), clf.classes_).__dict__
    save_model(clf, out, training=record)
    return clf, record


def skeleton_layout(params: dict, sources: Iterable[SourceLayout] | None) -> str | None:
    """The common-body layout a model of skeleton sets reads: ``params``' own ``layout``, else the one its
    fine-tuning start (``encoder_from``) reads, else the one :func:`posehar.body.body_layout` gives
    ``sources`` (None when they are not known yet)."""
    if params.get("layout"):
        return params["layout"]
    start = params.get("encoder_from")
    if start is not None and start.layout in COMMON_LAYOUTS:
        return start.layout
    return None if sources is None else body_layout(sources)


def train_skeleton_file(data: str | os.PathLike, out: str | os.PathLike, cv: int = 5, views: int | None = None,
                        progress: bool = True, **params) -> tuple[PoseActionClassifier, dict]:
    """Train a common-body model on a shared-format skeleton ``.npz`` (grouped by its subjects) and save it.

    3D recordings are also seen from ``views`` random viewpoints in training (default
    :data:`posehar.skeleton_training.TRAIN_VIEWS`). With ``cv > 1`` a cross-subject CV runs first.
    """
    from .datasets.skeleton_file import SkeletonFile
    from .skeleton_training import TRAIN_VIEWS, cross_subject_cv

    sf = SkeletonFile(data)
    views = TRAIN_VIEWS if views is None else views
    params = {**BODY_PARAMS, **params, "layout": skeleton_layout(params, [sf.layout])}
    make = lambda: PoseActionClassifier(verbose=False, **params)  # noqa: E731
    record: dict = {
        "data": str(Path(data)), "sequences": len(sf), "groups": sorted(set(f"{sf.path.stem}:{s}" for s in sf.subjects)),
        "classes": sf.classes, "source_layout": sf.layout.name, "training_views": views if sf.is_3d else 0,
        "training_proportions": TRAIN_PROPORTIONS if sf.is_3d and views else 0.0,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if cv and cv > 1:
        record["cross_validation"] = cross_subject_cv(sf, make, folds=cv, views=views, seed=params.get("random_state", 0),
                                                      progress=progress)
    X, y, groups = skeleton_sequences(sf, views=views, seed=params.get("random_state", 0), layout=params["layout"])
    return fit_and_save(X, y, groups, out, record, progress, **params)


def train_skeleton_sets(folder: str | os.PathLike, out: str | os.PathLike, vocabulary: str | os.PathLike | None = None,
                        views: int = 2, holdout: int = 0, progress: bool = True,
                        **params) -> tuple[PoseActionClassifier, dict]:
    """Train one common-body model on every skeleton set file in ``folder``, labels through the vocabulary.

    Each set's labels become posehar labels (:mod:`posehar.vocabulary`); sets and labels the
    vocabulary does not use are left out; people are kept apart per set. 3D recordings are
    also seen from ``views`` random viewpoints. With ``holdout`` = K > 1, a model is first
    trained the same way without 1/K of each set's people (grouped fold 1 of K), and its accuracy
    on them, per set, goes into the record (``set_results``); then the final model uses everyone.
    """
    from .datasets.skeleton_file import SkeletonFile, cross_subject_folds, is_skeleton_file
    from .vocabulary import DEFAULT_VOCABULARY, read_vocabulary, set_labels

    vocab = read_vocabulary(vocabulary or DEFAULT_VOCABULARY)
    seed = params.get("random_state", 0)
    files = []
    for path in sorted(Path(folder).glob("*.npz")):
        labels = set_labels(vocab, path) if is_skeleton_file(path) else None
        if labels:
            sf = SkeletonFile(path)
            if set(labels) & set(sf.labels):  # a set named like another (g3d_streams) may share none
                files.append((sf, labels))
    if not files:
        from .errors import DatasetLayoutError

        raise DatasetLayoutError(f"{folder} holds no skeleton set file that the vocabulary uses")
    params = {**SETS_PARAMS, **params, "layout": skeleton_layout(params, [sf.layout for sf, _ in files])}
    sets = [{"set": sf.path.stem, "sequences": int(sum(lab in labels for lab in sf.labels)),
             "people": len(set(sf.subjects)), "source_layout": sf.layout.name, **_provenance(sf.path)}
            for sf, labels in files]
    record: dict = {"data": str(Path(folder)), "vocabulary": str(vocabulary) if vocabulary else "default", "sets": sets,
                    "training_views": views, "training_proportions": TRAIN_PROPORTIONS,
                    "command": f"posehar train {folder} -o {Path(out).name} --cv {holdout}"
                               + (f" --epochs {params['epochs']}" if "epochs" in params else "")
                               + (f" --seed {seed}" if seed else "")
                               + (f" --vocabulary {vocabulary}" if vocabulary else ""),
                    "limitations": BODY_LIMITATIONS,
                    "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    if holdout and holdout > 1:
        everyone = lambda sf: (np.arange(len(sf)), np.array([], dtype=int))  # noqa: E731 - too few people to hold out
        held = {sf.path: cross_subject_folds(sf.subjects, holdout, seed)[0] if len(set(sf.subjects)) >= 2
                else everyone(sf) for sf, _ in files}
        X, y, groups = _sets_sequences(files, views, seed, {p: tr for p, (tr, _) in held.items()}, params["layout"])
        start = time.perf_counter()
        clf = PoseActionClassifier(verbose=progress, **params).fit(X, y, groups)
        rows = []
        for sf, labels in files:
            Xt, yt, _ = skeleton_sequences(sf, held[sf.path][1], labels=labels, layout=params["layout"])
            if Xt:
                rows.append({"set": sf.path.stem, "accuracy": float(np.mean(clf.predict(Xt) == np.asarray(yt))),
                             "n": len(Xt), "people": len({sf.subjects[i] for i in held[sf.path][1]})})
        record["set_results"] = {"protocol": f"a model trained as this one without the people of grouped fold 1 of "
                                             f"{holdout} of each set, scored on them", "rows": rows,
                                 "fit_seconds": time.perf_counter() - start}
    X, y, groups = _sets_sequences(files, views, seed, None, params["layout"])
    record.update(sequences=len(X), groups=sorted(set(groups)), classes=sorted(set(y)))
    return fit_and_save(X, y, groups, out, record, progress, **params)


def _sets_sequences(files, views: int, seed: int, keep: dict | None, layout: str):
    """Training sequences of every (set, labels) in ``files`` in the common-body ``layout``; ``keep`` limits
    each set to some indices."""
    X, y, groups = [], [], []
    for sf, labels in files:
        xs, ys, gs = skeleton_sequences(sf, None if keep is None else keep[sf.path], views=views, seed=seed,
                                        labels=labels, layout=layout)
        X += xs
        y += ys
        groups += gs
    return X, y, groups


BODY_LIMITATIONS = [
    "- Body keypoints only: it cannot tell actions apart by the hands or fingers, nor by the objects "
    "held (a tennis swing and a badminton swing look alike).",
    "- One person at a time; two-person interactions (SBU) are not among its classes.",
    "- Its training people were recorded by Kinect sensors in labs (most sets), in sports videos (Penn Action) "
    "and films (JHMDB); people much younger or older, unusual viewpoints and partly visible bodies are "
    "less well covered.",
    "- For other actions, teach it with `posehar train CLIPS --from body_actions` (a few clips per class).",
]


def _provenance(path: Path) -> dict:
    """Repository, commit and licence text of a skeleton set, from the json beside it."""
    import json

    side = path.with_suffix(".json")
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(meta, dict):
        return {}
    return {k: meta.get(k) for k in ("repo", "commit", "licence") if meta.get(k)}
