"""PoseActionClassifier: GRU encoder -> temporal vector -> logistic regression, as a scikit-learn estimator."""

from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import replace
from typing import Sequence

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupShuffleSplit, StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from .arguments import check_count
from .augment import AugmentConfig, FeatureAugmenter
from .body import COMMON_LAYOUTS, sequence_to_common
from .encoder import GRUEncoder, frame_max_levels
from .errors import KeypointFormatError
from .features import FeatureConfig, mirror, resample, sequence_features
from .layouts import get_layout
from .pairs import PAIR_LAYOUT, orders, pair_features
from .sequence import KeypointSequence
from .sides import mirror_classes

NOVELTY_LIMIT = 1.0  # novelty scores are distances divided by their threshold: beyond 1, unlike the training data
UNKNOWN = "unknown"  # the answer where the model is unsure (posehar.prediction)
NO_PERSON = "no person"  # the answer where nobody is in view
RESERVED_LABELS = {UNKNOWN, NO_PERSON}  # answers of no class, so never class names
# A prepared sequence or window: its features (T, F) and the mask (T,) of frames with a person.
Prepared = tuple[np.ndarray, np.ndarray]


@contextmanager
def _torch_threads(n: int):
    """Run torch on ``n`` intra-op threads. Encoding (``_vectors``, in prediction and when the head is
    fit) runs on one: beside pose workers one thread is many times faster than spinning threads
    fighting them. The encoder's training steps run alone on torch's default, every core (a
    192-unit GRU step, batch 64, 2 idle cores: 160 ms on one thread, 94 ms on two)."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _mean_by(owner: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Row ``k`` of the result: the mean of the ``values`` rows whose ``owner`` is ``k`` (``n`` rows)."""
    sums = np.zeros((n, values.shape[1]))
    np.add.at(sums, owner, values)
    return sums / np.bincount(owner, minlength=n)[:, None]


def logistic_head(coef: np.ndarray, intercept: np.ndarray, C: float) -> LogisticRegression:
    """A fitted LogisticRegression (classes 0..K-1) from given weights: a loaded or adapted head."""
    head = LogisticRegression(C=C)
    head.coef_, head.intercept_ = coef, intercept
    head.classes_ = np.arange(max(2, coef.shape[0]))
    head.n_features_in_ = coef.shape[1]
    return head


class PoseActionClassifier(ClassifierMixin, BaseEstimator):
    """Classify actions from keypoint sequences.

    A GRU encoder (one direction by default) is trained with a linear head on all but a validation
    split (grouped by person when ``groups`` are given), whose people calibrate the 'unknown'
    thresholds and, with ``early_stopping`` (the default) and at least
    ``early_stopping_min_validation`` validation sequences, choose the epoch kept; otherwise the
    encoder trains all ``epochs`` (fewer on a set so large that they would pass ``max_steps``
    optimiser steps) and keeps the last. With fewer than ``refit_below_people`` people
    (groups; off by default), and an encoder that trains all its epochs, it is trained a second time,
    on everyone: the first fit's validation people set the 'unknown' thresholds (the novelty ones
    scaled by how far its validation people's windows lay beyond its training people's), and the
    second fit's encoder and head are kept. With 8, UTD-MHAD odd -> even (4 people) 0.941 -> 0.951
    over seeds 0 and 1, 3.5-5% of the new people's clips 'unknown' (53% when thresholds came from the
    training people), but fits took 2.7-3.3x as long (G3D leave-one-actor-out, first fold: 685 s and
    0.887 -> 0.855). Its pooled outputs (with ``frame_max`` 1, also the max over frames of its per-frame
    layer; with 2, also that max over each half of the window: :class:`~posehar.encoder.GRUEncoder`) are the temporal
    vectors on which a standardised multinomial ``LogisticRegression`` is fit (on every window of
    every training sequence, as prediction reads them, each sequence weighing 1, and on their mirror
    images), giving the final classifier and probabilities. Sequences are
    resampled to ``fps`` and read in windows of ``window`` frames (half-window hop); a sequence's
    probabilities average its windows (and, with ``tta_mirror``, their mirror images). A mirror image
    is a clip of the class its label's twin names where labels name a side (``PunchRight`` mirrored is
    ``PunchLeft``); where some class has no twin, no mirror images are used (:mod:`posehar.sides`).

    ``encoder_from``, a fitted model with the same features and encoder size (such as the shipped
    ``body_actions``), fine-tunes: the encoder starts from its weights instead of random ones (its
    training head and feature standardisation are not taken: both are this fit's own).

    Learned attributes: ``classes_``, ``feature_config_``, ``encoder_``, ``scaler_``,
    ``logreg_``, ``centroids_``, ``confidence_threshold_``, ``novelty_threshold_``, ``input_threshold_``,
    ``history_``, ``n_features_in_``, ``mirror_class_`` (each class's mirror-image class, or None).
    """

    def __init__(self, hands: bool = True, layout: str = "mediapipe_pose", fingers: bool = True, velocity: bool = True,
                 root_motion: bool = False, depth: bool = False, window: int = 30, min_crop: int | None = None,
                 fps: float = 30.0, hidden_size: int = 96, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.2, frame_max: int = 0, epochs: int = 40,
                 max_steps: int | None = None, batch_size: int = 64,
                 learning_rate: float = 2e-3, weight_decay: float = 1e-2, early_stopping: bool = True,
                 patience: int = 8, early_stopping_min_validation: int = 50, validation_fraction: float = 0.15,
                 refit_below_people: int = 0, augment: AugmentConfig | None = AugmentConfig(),
                 C: float = 0.1, unknown_coverage: float = 0.95, tta_mirror: bool = True,
                 encoder_from: "PoseActionClassifier | None" = None, random_state: int = 0, verbose: bool = True):
        self.hands = hands
        self.layout = layout
        self.fingers = fingers
        self.velocity = velocity
        self.root_motion = root_motion
        self.depth = depth
        self.window = window
        self.min_crop = min_crop
        self.fps = fps
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.frame_max = frame_max
        self.epochs = epochs
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.patience = patience
        self.early_stopping_min_validation = early_stopping_min_validation
        self.validation_fraction = validation_fraction
        self.refit_below_people = refit_below_people
        self.augment = augment
        self.C = C
        self.unknown_coverage = unknown_coverage
        self.tta_mirror = tta_mirror
        self.encoder_from = encoder_from
        self.random_state = random_state
        self.verbose = verbose

    # ---------------------------------------------------------------- data preparation
    def _check_params(self) -> None:
        """ValueError naming the first parameter out of its range, before any training starts."""
        get_layout(self.layout)  # KeypointFormatError listing the known layouts
        for name in ("window", "epochs", "batch_size", "hidden_size", "num_layers", "patience"):
            check_count(name, getattr(self, name))
        for name in ("min_crop", "max_steps"):
            check_count(name, getattr(self, name), optional=True)
        frame_max_levels(self.frame_max)
        in_range = {"C": (lambda v: v > 0, "> 0"), "learning_rate": (lambda v: v > 0, "> 0"),
                    "fps": (lambda v: v > 0, "> 0"), "weight_decay": (lambda v: v >= 0, ">= 0"),
                    "dropout": (lambda v: 0 <= v < 1, "in [0, 1)"),
                    "validation_fraction": (lambda v: 0 <= v < 1, "in [0, 1)"),
                    "unknown_coverage": (lambda v: 0 < v <= 1, "in (0, 1]")}
        for name, (ok, says) in in_range.items():
            value = getattr(self, name)
            number = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
            if not (number and np.isfinite(value) and ok(value)):
                raise ValueError(f"{name} must be a number {says}, got {value!r}")

    def _feature_config(self) -> FeatureConfig:
        hands = self.hands and self.layout == "mediapipe_pose"
        return FeatureConfig(layout=self.layout, hands=hands, fingers=hands and self.fingers, velocity=self.velocity,
                             root_motion=self.root_motion, depth=self.depth)

    def _prepare(self, seq: KeypointSequence, config: FeatureConfig, mirrored: bool = False) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(seq, KeypointSequence):
            raise TypeError(f"X must hold KeypointSequence objects, got {type(seq).__name__}")
        if len(seq) == 0:
            raise KeypointFormatError(f"empty keypoint sequence: {seq.source}")
        if config.layout in COMMON_LAYOUTS:
            seq = sequence_to_common(seq, config.layout)
        seq = resample(seq, self.fps)
        features = pair_features if config.layout == PAIR_LAYOUT else sequence_features
        return features(mirror(seq) if mirrored else seq, config)

    def windows(self, length: int) -> list[tuple[int, int]]:
        """(start, stop) rows of the windows read from a sequence of ``length`` frames."""
        if length <= self.window:
            return [(0, length)]
        hop = max(self.window // 2, 1)
        starts = list(range(0, length - self.window + 1, hop))
        if starts[-1] + self.window < length:
            starts.append(length - self.window)
        return [(s, s + self.window) for s in starts]

    @staticmethod
    def _batch(items: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        lengths = np.array([len(f) for f, _ in items])
        t = int(lengths.max())
        x = np.zeros((len(items), t, items[0][0].shape[1]), np.float32)
        m = np.zeros((len(items), t), bool)
        for i, (f, mk) in enumerate(items):
            x[i, : len(f)] = f
            m[i, : len(f)] = mk
        return torch.from_numpy(x), torch.from_numpy(m), torch.from_numpy(lengths)

    # ---------------------------------------------------------------- training
    def fit(self, X: Sequence[KeypointSequence], y: Sequence[str],
            groups: Sequence[str] | None = None) -> "PoseActionClassifier":
        """Train the encoder, then the logistic regression, then calibrate the 'unknown' thresholds.

        ``y``: class names, or integer labels (kept as integers in ``classes_`` and ``predict``, as
        scikit-learn keeps them); any other labels are read as text.
        """
        self._check_params()
        with torch.random.fork_rng(devices=[]):  # the caller's torch random numbers are left as they were
            return self._fit(X, y, groups)

    def _fit(self, X: Sequence[KeypointSequence], y, groups) -> "PoseActionClassifier":
        X, y = list(X), np.asarray(y)
        y = y if y.dtype.kind in "iu" else y.astype(str)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} sequences but y has {len(y)} labels")
        reserved = sorted({str(c) for c in y} & RESERVED_LABELS)
        if reserved:
            raise ValueError(f"{reserved[0]!r} cannot be a class: predictions use it for an answer of no class")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least 2 classes to train, got {list(self.classes_)}")
        target = np.searchsorted(self.classes_, y)
        self.mirror_class_ = mirror_classes(self.classes_)
        rng = np.random.default_rng(self.random_state)
        torch.manual_seed(self.random_state)
        gen = torch.Generator().manual_seed(self.random_state)
        config = self.feature_config_ = self._feature_config()
        feats, mirrored = self._prepared(X, progress=self.verbose)
        self.n_features_in_ = config.dim()
        train_idx, val_idx, nobody_held_out_because = self._split(target, groups, rng)
        self.history_ = self._fit_encoder(feats, mirrored, target, train_idx, val_idx, rng, gen)
        if nobody_held_out_because:
            self.history_["nobody_held_out_because"] = nobody_held_out_because

        windows, mirror_windows, owner = self._windowing(feats, mirrored)
        vectors, mirror_vectors = self._window_vectors(windows, mirror_windows)
        self._fit_head(vectors, mirror_vectors, target, owner, train_idx)
        if not len(val_idx):
            self._calibrate(feats, mirrored, target, train_idx, windows, vectors, owner)
            return self
        # Thresholds come from the validation people while they are unseen by the head; the
        # head is then refit on every training person (+0.01 cross-person accuracy on dev people).
        self._calibrate(feats, mirrored, target, val_idx, windows, vectors, owner)
        people = len(np.unique(groups)) if groups is not None else 0
        if 0 < people < self.refit_below_people and not self._stops_early(len(val_idx)):
            self._refit_on_everyone(feats, mirrored, target, (windows, mirror_windows, owner), vectors, train_idx,
                                    people, rng, gen)
        else:
            self._fit_head(vectors, mirror_vectors, target, owner, np.arange(len(feats)))
        return self

    def _prepared(self, X: Sequence[KeypointSequence], progress: bool = False
                  ) -> tuple[list[Prepared], list[Prepared] | None]:
        """Every sequence of ``X`` prepared with ``feature_config_``, and mirrored where the head sees mirrors."""
        config = self.feature_config_
        feats = [self._prepare(s, config) for s in tqdm(X, desc="features", unit="seq", disable=not progress)]
        mirrored = [self._prepare(s, config, mirrored=True) for s in X] if self._head_sees_mirrors() else None
        return feats, mirrored

    def _windowing(self, feats: list[Prepared], mirrored: list[Prepared] | None
                   ) -> tuple[list[Prepared], list[Prepared] | None, np.ndarray]:
        """(every window of ``feats``, of ``mirrored`` where given, the sequence each window came from)."""
        windows, owner = self.windowed(feats)
        return windows, None if mirrored is None else self.windowed(mirrored)[0], owner

    def _window_vectors(self, windows, mirror_windows) -> tuple[np.ndarray, np.ndarray | None]:
        """Temporal vectors of every window (and of its mirror image, when the head sees mirrors)."""
        return self._vectors(windows), None if mirror_windows is None else self._vectors(mirror_windows)

    def _refit_on_everyone(self, feats, mirrored, target, windowing, vectors, train_idx, people: int, rng, gen) -> None:
        """Fit the encoder and head again on every sequence, once the validation people have set the
        thresholds. The confidence threshold is kept; the novelty ones keep their ratio to the 99th
        percentile over the first fit's training people's windows."""
        windows, mirror_windows, owner = windowing
        ratio = np.array([self.novelty_threshold_, self.input_threshold_]) / self._novelty_quantiles(
            windows, vectors, owner, train_idx)
        first = {"validation_sequences": self.history_["validation_sequences"],
                 "val_accuracy": self.history_["val_accuracy"]}
        everyone = np.arange(len(feats))
        self.history_ = self._fit_encoder(feats, mirrored, target, everyone, everyone[:0], rng, gen,
                                          "train encoder on everyone")
        self.history_["refit"] = {"people": people, "first_fit": first}
        vectors, mirror_vectors = self._window_vectors(windows, mirror_windows)
        self._fit_head(vectors, mirror_vectors, target, owner, everyone)
        self.novelty_threshold_, self.input_threshold_ = (ratio * self._novelty_quantiles(
            windows, vectors, owner, everyone)).tolist()

    def _fit_encoder(self, feats, mirrored, target, train_idx, val_idx, rng, gen, desc: str = "train encoder") -> dict:
        """A new encoder (features standardised on the frames of ``train_idx``) trained on ``train_idx``;
        returns its history."""
        config = self.feature_config_
        self.encoder_ = GRUEncoder(config.dim(), len(self.classes_), self.hidden_size, self.num_layers,
                                   self.bidirectional, self.dropout, self.frame_max)
        frames = np.concatenate([feats[i][0][feats[i][1]] for i in train_idx])
        self.encoder_.feature_mean.copy_(torch.from_numpy(frames.mean(0)))
        self.encoder_.feature_std.copy_(torch.from_numpy(np.maximum(frames.std(0), 1e-3)))
        if self.encoder_from is not None:
            self._start_from(self.encoder_from)
        return self._train_encoder(feats, mirrored, target, train_idx, val_idx, rng, gen, desc)

    def fine_tune_problem(self, model: object) -> str:
        """Why this model cannot start from ``model``'s encoder (``encoder_from``); '' when it can."""
        if not hasattr(model, "encoder_"):
            return ("the model to fine-tune from is not fitted (sklearn's clone() leaves an unfitted copy: "
                    "build the estimator with the fitted model)")
        theirs, mine = model.feature_config_, self._feature_config()
        if theirs != mine:
            return (f"the model to fine-tune from reads {theirs.layout} features ({theirs.dim()} a frame) and this "
                    f"one {mine.layout} ({mine.dim()}); fine-tune from a model of the same layout")
        size = lambda m: (m.hidden_size, m.num_layers, m.bidirectional)  # noqa: E731
        if size(model) != size(self):
            return (f"the model to fine-tune from has a GRU of (hidden_size, num_layers, bidirectional) "
                    f"{size(model)}, this one {size(self)}; give the same")
        return ""

    def _start_from(self, model: "PoseActionClassifier") -> None:
        """Copy ``model``'s encoder weights into the new encoder, all but its training head and its
        feature standardisation."""
        problem = self.fine_tune_problem(model)
        if problem:
            raise ValueError(problem)
        state = {k: v for k, v in model.encoder_.state_dict().items() if not k.startswith(("head.", "feature_"))}
        self.encoder_.load_state_dict(state, strict=False)

    def _epochs(self, steps_per_epoch: int) -> int:
        """Epochs the encoder trains for: ``epochs``, or as many whole ones as ``max_steps`` optimiser steps allow."""
        if not self.max_steps:
            return self.epochs
        return max(1, min(self.epochs, self.max_steps // steps_per_epoch))

    def _stops_early(self, validation_sequences: int) -> bool:
        """Whether the epoch kept is chosen on the validation people (else the encoder trains all epochs).

        Only when they hold enough sequences: with a few dozen, one sequence moves the accuracy by 2-5 %
        and training stops by chance (yoga cross-subject, 20-48 validation sequences a fold: 0.872 ->
        0.952 training all epochs)."""
        return self.early_stopping and validation_sequences >= max(self.early_stopping_min_validation, 1)

    def _asks_for_mirrors(self) -> bool:
        """Whether the parameters ask for mirror images (mirror augmentation or mirror test-time averaging)."""
        return bool(self.augment and self.augment.mirror > 0) or self.tta_mirror

    def _head_sees_mirrors(self) -> bool:
        """Whether the head is fit on mirror images too (asked for, and every class's mirror image a class)."""
        return self._asks_for_mirrors() and self.mirror_class_ is not None

    def _averages_mirrors(self) -> bool:
        """Whether prediction averages each window with its mirror image."""
        return self.tta_mirror and self.mirror_class_ is not None

    def _head_rows(self, vectors, mirror_vectors, target, owner, idx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vectors, classes, weights) a head is fit on: the window vectors of sequences ``idx`` (+ mirrors,
        labelled with the class each shows). ``vectors[w]`` is a window of sequence ``owner[w]``, labelled
        ``target[owner[w]]``; each sequence (and its mirror image) weighs 1 however many windows it has."""
        rows = np.flatnonzero(np.isin(owner, idx))
        vec, y = vectors[rows], target[owner[rows]]
        weight = 1.0 / np.bincount(owner)[owner[rows]]
        if mirror_vectors is not None:
            vec = np.concatenate([vec, mirror_vectors[rows]])
            y, weight = np.concatenate([y, self.mirror_class_[y]]), np.concatenate([weight, weight])
        return vec, y, weight

    def _fit_head(self, vectors, mirror_vectors, target, owner, idx) -> None:
        """Scaler, logistic regression and class centroids on the rows :meth:`_head_rows` gives for sequences
        ``idx``."""
        vec, y, weight = self._head_rows(vectors, mirror_vectors, target, owner, idx)
        self.scaler_ = StandardScaler().fit(vec, sample_weight=weight)
        z = self.scaler_.transform(vec)
        self.logreg_ = LogisticRegression(C=self.C, max_iter=3000).fit(z, y, sample_weight=weight)
        # A class without training rows (a cross-validation fold) has no centre: never the nearest.
        self.centroids_ = np.stack([z[y == k].mean(0) if (y == k).any() else np.full(z.shape[1], np.inf)
                                    for k in range(len(self.classes_))])

    def _split(self, target: np.ndarray, groups, rng) -> tuple[np.ndarray, np.ndarray, str]:
        """(training rows, validation rows, why nobody is held out: "" when some are)."""
        idx = np.arange(len(target))
        nobody = np.array([], dtype=int)
        if not self.validation_fraction:
            return idx, nobody, "validation_fraction is 0"
        seed = int(rng.integers(2**31))
        if groups is not None:
            groups = np.asarray(groups)
            if len(np.unique(groups)) < 2:
                raise ValueError("groups must hold at least 2 distinct groups for a grouped validation split")
            splitter = GroupShuffleSplit(n_splits=1, test_size=self.validation_fraction, random_state=seed)
            train, val = next(splitter.split(idx, target, groups))
            if len(np.unique(target[train])) < len(np.unique(target)):
                return idx, nobody, "the people held out would have taken a class no other person shows"
            return train, val, ""
        counts = np.bincount(target)
        held = int(np.ceil(self.validation_fraction * len(target)))  # as StratifiedShuffleSplit counts them
        if counts.min() < 2 or min(held, len(target) - held) < len(counts):  # every class has a sequence
            return idx, nobody, "too few sequences a class to hold some of every class out (and no groups)"
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=self.validation_fraction, random_state=seed)
        return (*next(splitter.split(idx, target)), "")

    def _crop(self, item: tuple[np.ndarray, np.ndarray], rng) -> tuple[np.ndarray, np.ndarray]:
        """A random training window: ``window`` frames, or with ``min_crop`` any length from it up."""
        f, m = item
        length = self.window
        if self.min_crop and len(f) > self.min_crop:
            length = int(rng.integers(self.min_crop, min(self.window, len(f)) + 1))
        if len(f) <= length:
            return f, m
        s = int(rng.integers(0, len(f) - length + 1))
        return f[s: s + length], m[s: s + length]

    def _train_encoder(self, feats, mirrored, target, train_idx, val_idx, rng, gen, desc: str) -> dict:
        enc = self.encoder_
        opt = torch.optim.AdamW(enc.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        steps = max(1, int(np.ceil(len(train_idx) / self.batch_size)))
        epochs = self._epochs(steps)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.learning_rate, total_steps=epochs * steps)
        augmenter = FeatureAugmenter(self.feature_config_, self.augment, gen) if self.augment else None
        loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
        history: dict = {"loss": [], "val_accuracy": [], "val_epochs": [], "best_epoch": 0,
                         "validation_sequences": len(val_idx)}
        stopping_early = self._stops_early(len(val_idx))
        # Without early stopping only the epoch kept (the last) is scored on the validation people:
        # scoring every epoch took a fifth of a fit (UTD-MHAD, 8 of 42 s) and chose nothing.
        best, best_state, waited = -1.0, None, 0
        bar = tqdm(range(epochs), desc=desc, unit="epoch", disable=not self.verbose)
        for epoch in bar:
            enc.train()
            order = rng.permutation(train_idx)
            total = 0.0
            for b in range(steps):
                rows = order[b * self.batch_size: (b + 1) * self.batch_size]
                if not len(rows):
                    continue
                use_m = np.zeros(len(rows), bool)
                if self.augment and mirrored:
                    use_m = rng.random(len(rows)) < self.augment.mirror
                items = [self._crop(mirrored[i] if um else feats[i], rng) for i, um in zip(rows, use_m)]
                x, m, lengths = self._batch(items)
                if augmenter:
                    x, m, lengths = augmenter(x, m, lengths)
                shown = target[rows].copy()
                if use_m.any():  # a mirror image shows its class's twin
                    shown[use_m] = self.mirror_class_[shown[use_m]]
                loss = loss_fn(enc(x, m, lengths), torch.from_numpy(shown))
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(enc.parameters(), 1.0)
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(rows)
            history["loss"].append(total / len(train_idx))
            postfix = {"loss": f"{history['loss'][-1]:.3f}"}
            if len(val_idx) and (stopping_early or epoch == epochs - 1):
                acc = float((self._head_predict([feats[i] for i in val_idx]) == target[val_idx]).mean())
                history["val_accuracy"].append(acc)
                history["val_epochs"].append(epoch)
                postfix["val_acc"] = f"{acc:.3f}"
            bar.set_postfix(postfix)
            if not stopping_early:
                history["best_epoch"] = epoch
            elif acc > best:
                best, best_state, waited = acc, copy.deepcopy(enc.state_dict()), 0
                history["best_epoch"] = epoch
            else:
                waited += 1
                if waited >= self.patience:
                    break
        if stopping_early:
            enc.load_state_dict(best_state)
        enc.eval()
        return history

    @torch.no_grad()
    def _head_predict(self, items) -> np.ndarray:
        self.encoder_.eval()
        out = []
        for s in range(0, len(items), 512):
            x, m, lengths = self._batch([self._crop_center(it) for it in items[s: s + 512]])
            out.append(self.encoder_(x, m, lengths).argmax(1).numpy())
        self.encoder_.train()
        return np.concatenate(out)

    def _crop_center(self, item):
        f, m = item
        if len(f) <= self.window:
            return f, m
        s = (len(f) - self.window) // 2
        return f[s: s + self.window], m[s: s + self.window]

    def _calibrate(self, feats, mirrored, target, idx, windows, vectors, owner) -> None:
        """Thresholds of 'unknown', from held-out (validation) people ``idx``; ``windows``, their
        temporal ``vectors`` and ``owner`` are every sequence's (:meth:`windowed`).

        Confidence: the top probability below which ``1 - unknown_coverage`` of the correct
        answers fall. Novelty, two tests: the temporal vector's distance to the nearest class
        centroid (99th percentile of held-out windows), and how far the input features are from
        the training frames (median over a window's frames of the mean squared z-score; twice
        the 99th percentile of held-out windows). Inputs unlike the training data (another
        framing, another activity) score hundreds of times higher on the second test.
        """
        proba = self.sequence_proba([feats[i] for i in idx], None if mirrored is None else [mirrored[i] for i in idx])
        self.confidence_threshold_ = self.confidence_from(proba, target[idx])
        # Every class has a centroid here: _split never leaves a class to the validation people only.
        novelty, inputs = self._novelty_quantiles(windows, vectors, owner, idx)
        self.novelty_threshold_, self.input_threshold_ = novelty, 2.0 * inputs

    def confidence_from(self, proba: np.ndarray, target: np.ndarray) -> float:
        """The 'unknown' confidence threshold from held-out probabilities (n, n_classes) and true class
        indices: the top probability below which ``1 - unknown_coverage`` of the correct answers fall
        (0 when none is correct)."""
        correct = proba.argmax(1) == target
        return float(np.quantile(proba.max(1)[correct], 1 - self.unknown_coverage)) if correct.any() else 0.0

    def _novelty_quantiles(self, windows, vectors, owner, idx) -> np.ndarray:
        """99th percentiles of the temporal-vector and input distances over the windows of sequences ``idx``."""
        rows = np.flatnonzero(np.isin(owner, idx))
        return np.array([np.quantile(self._vector_distance(vectors[rows]), 0.99),
                         np.quantile(self._input_distance([windows[r] for r in rows]), 0.99)])

    # ---------------------------------------------------------------- inference
    @torch.no_grad()
    def _vectors(self, items) -> np.ndarray:
        """Temporal vectors of already-prepared (features, mask) items, one per item."""
        self.encoder_.eval()
        with _torch_threads(1):
            return self._encode_items(items)

    def _encode_items(self, items) -> np.ndarray:
        out = []
        for s in range(0, len(items), 512):
            x, m, lengths = self._batch(items[s: s + 512])
            out.append(self.encoder_.encode(x, m, lengths).numpy())
        return np.concatenate(out) if out else np.zeros((0, self.encoder_.vector_dim), np.float32)

    def _vector_distance(self, vectors: np.ndarray) -> np.ndarray:
        z = self.scaler_.transform(vectors)
        d = np.linalg.norm(z[:, None, :] - self.centroids_[None], axis=-1).min(1)
        return d / np.sqrt(z.shape[1])

    def _input_distance(self, items) -> np.ndarray:
        mean = self.encoder_.feature_mean.numpy()
        std = self.encoder_.feature_std.numpy()
        out = np.zeros(len(items))
        for n, (f, m) in enumerate(items):
            if m.any():
                out[n] = float(np.median((((f[m] - mean) / std) ** 2).mean(1)))
        return out

    def _novelty(self, items) -> np.ndarray:
        """Novelty of prepared windows: > 1 when either test says the input is unlike the training data."""
        vec = self._vector_distance(self._vectors(items)) / max(self.novelty_threshold_, 1e-9)
        inp = self._input_distance(items) / max(self.input_threshold_, 1e-9)
        return np.maximum(vec, inp)

    def _proba_from_items(self, items, mirrored_items=None) -> np.ndarray:
        """Probabilities of prepared windows, averaged with their mirror images' where given (callers pass
        them only where prediction averages them: :meth:`_averages_mirrors`)."""
        p = self._head_proba(items)
        if mirrored_items is not None:
            p = (p + self._head_proba(mirrored_items)[:, self.mirror_class_]) / 2  # column k: the mirror read as k's twin
        return p

    def _head_proba(self, items) -> np.ndarray:
        """The logistic regression's probabilities of prepared windows, a column for each of ``classes_``
        (0 for a class the head was fit without: a cross-validation fold that lacks it)."""
        p = self.logreg_.predict_proba(self.scaler_.transform(self._vectors(items)))
        if len(self.logreg_.classes_) == len(self.classes_):
            return p
        full = np.zeros((len(p), len(self.classes_)))
        full[:, self.logreg_.classes_] = p
        return full

    def windowed(self, items: Sequence[Prepared]) -> tuple[list[Prepared], np.ndarray]:
        """Every window of prepared (features, mask) items, as prediction reads them, and the index
        of the item each window came from."""
        out, owner = [], []
        for n, (f, m) in enumerate(items):
            for a, b in self.windows(len(f)):
                out.append((f[a:b], m[a:b]))
                owner.append(n)
        return out, np.asarray(owner, dtype=int)

    def sequence_proba(self, items: Sequence[Prepared], mirrored_items: Sequence[Prepared] | None = None) -> np.ndarray:
        """Probabilities of prepared (features, mask) items, each averaged over its windows (and, with
        ``mirrored_items``, their mirror images, where prediction averages those) as ``predict_proba`` does."""
        windows, owner = self.windowed(items)
        mirrored = self.windowed(mirrored_items)[0] if mirrored_items is not None and self._averages_mirrors() else None
        return _mean_by(owner, self._proba_from_items(windows, mirrored), len(items))

    def window_items(self, seq: KeypointSequence, mirrored: bool = False) -> tuple[list[tuple[int, int]], list]:
        """The windows of ``seq`` (rows after resampling to ``fps``) and their prepared features."""
        feats, mask = self._prepare(seq, self.feature_config_, mirrored=mirrored)
        spans = self.windows(len(feats))
        return spans, [(feats[a:b], mask[a:b]) for a, b in spans]

    def window_proba(self, seq: KeypointSequence) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
        """Per-window (spans, probabilities (W, K), novelty scores (W,)) for one sequence (a pair of
        people: averaged over both orders)."""
        check_is_fitted(self, "encoder_")
        probas, novelties = [], []
        for s in orders(seq):
            spans, items = self.window_items(s)
            mirrored = self.window_items(s, mirrored=True)[1] if self._averages_mirrors() else None
            probas.append(self._proba_from_items(items, mirrored))
            novelties.append(self._novelty(items))
        return spans, np.mean(probas, axis=0), np.mean(novelties, axis=0)

    def predict_proba(self, X: Sequence[KeypointSequence]) -> np.ndarray:
        """Class probabilities (n_sequences, n_classes), columns in ``classes_`` order (a pair of
        people: averaged over both orders)."""
        check_is_fitted(self, "encoder_")
        averages_mirrors = self._averages_mirrors()
        items, mirrored, owner = [], [], []
        for n, seq in enumerate(X):
            for s in orders(seq):
                items.append(self._prepare(s, self.feature_config_))
                if averages_mirrors:
                    mirrored.append(self._prepare(s, self.feature_config_, mirrored=True))
                owner.append(n)
        item_proba = self.sequence_proba(items, mirrored if averages_mirrors else None)
        proba = _mean_by(np.asarray(owner, dtype=int), item_proba, len(X)).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)  # rows sum to 1 in float64, as scikit-learn's metrics check

    def predict(self, X: Sequence[KeypointSequence]) -> np.ndarray:
        """The most probable class of each sequence (``classes_`` values; no 'unknown': see predict_action)."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]

    def transform(self, X: Sequence[KeypointSequence]) -> np.ndarray:
        """Temporal vectors (n_sequences, vector_dim): windows' vectors averaged per sequence (and over both
        orders of a pair of people)."""
        check_is_fitted(self, "encoder_")
        return np.stack([self._vectors([item for s in orders(seq) for item in self.window_items(s)[1]]).mean(0)
                         for seq in X])

    def _unsure(self, proba: np.ndarray, novelty) -> tuple[np.ndarray, np.ndarray]:
        """(not confident, unlike the training data) for answers ``proba`` (..., K) and their novelty scores."""
        return proba.max(-1) < self.confidence_threshold_, np.asarray(novelty) > NOVELTY_LIMIT

    def is_unknown(self, proba: np.ndarray, novelty: np.ndarray) -> np.ndarray:
        """True where the model is not confident or the input is unlike anything it was trained on."""
        low, novel = self._unsure(proba, novelty)
        return low | novel

    def unknown_because(self, proba: np.ndarray, novelty: float) -> list[str]:
        """Why one answer (probabilities (K,) and its novelty score) is unknown; empty where it is not."""
        low, novel = self._unsure(proba, novelty)
        because = []
        if low:
            because.append(f"its probability is under the model's confidence threshold {self.confidence_threshold_:.2f}")
        if novel:
            because.append("the movement is unlike the model's training data")
        return because

    def __sklearn_clone__(self) -> "PoseActionClassifier":
        """An unfitted copy (``sklearn.base.clone``) that still fine-tunes from the same fitted
        ``encoder_from``: clone would otherwise put an unfitted copy of that model in its place."""
        params = self.get_params(deep=False)
        start = params.pop("encoder_from")
        return self.__class__(**{k: clone(v, safe=False) for k, v in params.items()}, encoder_from=start)

    def with_params(self, **params) -> "PoseActionClassifier":
        """An unfitted copy with some parameters changed (``augment`` may be a dict of AugmentConfig fields)."""
        twin = self.__sklearn_clone__()
        if isinstance(params.get("augment"), dict):  # None (no augmentation) is set as it is
            params["augment"] = replace(self.augment or AugmentConfig(), **params["augment"])
        return twin.set_params(**params)
