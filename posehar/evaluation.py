"""Cross-person evaluation: grouped cross-validation and classification reports."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold, StratifiedKFold

from .errors import DatasetLayoutError
from .sequence import KeypointSequence


@dataclass
class Report:
    """Accuracy, per-class precision/recall and the confusion matrix of one evaluation."""

    accuracy: float
    classes: list[str]
    precision: list[float]
    recall: list[float]
    confusion: list[list[int]]
    n: int
    extra: dict = field(default_factory=dict)
    support: list[int] = field(default_factory=list)  # true sequences of each class

    @classmethod
    def from_predictions(cls, y_true, y_pred, classes) -> "Report":
        """The report of ``y_pred`` against ``y_true``; per-class figures and the matrix cover ``classes`` only."""
        classes = [str(c) for c in classes]
        y_true, y_pred = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
        labels = classes + sorted((set(y_pred) | set(y_true)) - set(classes))
        p, r, _, _ = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
        cm = confusion_matrix(y_true, y_pred, labels=labels)[: len(classes), : len(classes)]
        support = [int((y_true == c).sum()) for c in classes]
        return cls(float((y_true == y_pred).mean()), classes, p.tolist(), r.tolist(), cm.tolist(), len(y_true),
                   support=support)

    def text(self, max_matrix: int = 15) -> str:
        """Per-class precision and recall of the classes the data holds or the model answered, and their
        confusion matrix where there are at most ``max_matrix`` of them (the PNG has every class)."""
        cm = np.asarray(self.confusion, dtype=int).reshape(len(self.classes), len(self.classes))
        support = self.support or cm.sum(1).tolist()
        shown = [i for i in range(len(self.classes)) if support[i] or cm[:, i].any()]
        width = max([len(self.classes[i]) for i in shown] + [5]) + 2
        lines = [f"accuracy {self.accuracy:.4f} on {self.n} sequences",
                 f"{'class':<{width}}precision  recall      n"]
        lines += [f"{self.classes[i]:<{width}}{self.precision[i]:9.3f} "
                  + (f"{self.recall[i]:7.3f}" if support[i] else f"{'—':>7}") + f" {support[i]:6d}" for i in shown]
        if len(shown) < len(self.classes):
            lines.append(f"({len(self.classes) - len(shown)} of the model's classes neither in the data nor answered)")
        if len(shown) > max_matrix:
            lines.append(f"confusion matrix of {len(shown)} classes: in the PNG")
        else:
            lines.append("confusion matrix (rows true, columns predicted):")
            lines += ["  " + " ".join(f"{cm[i, j]:5d}" for j in shown) + f"  {self.classes[i]}" for i in shown]
        return "\n".join(lines)


def cross_validate(make_model, X: Sequence[KeypointSequence], y, groups=None, folds: int = 5,
                   progress: bool = True) -> dict:
    """Grouped K-fold (no group in both train and test) when ``groups`` is given, else stratified.

    ``make_model()`` returns a fresh unfitted estimator. Returns per-fold accuracies, their
    mean and std, the pooled report and the time spent (:func:`run_folds`).
    """
    y = np.asarray(y).astype(str)
    if groups is not None:
        groups = np.asarray(groups)
        n_groups = len(np.unique(groups))
        if n_groups < folds:
            raise DatasetLayoutError(f"{folds}-fold grouped CV needs at least {folds} groups (people), found {n_groups}")
        splits = list(GroupKFold(n_splits=folds).split(np.zeros(len(y)), y, groups))
        protocol = f"grouped {folds}-fold CV by person (no person in both train and test)"
    else:
        splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
        protocol = f"stratified {folds}-fold CV (no groups given: NOT a cross-person figure)"

    def fit_predict(tr: np.ndarray, te: np.ndarray) -> np.ndarray:
        model = make_model().fit([X[i] for i in tr], y[tr], None if groups is None else groups[tr])
        return model.predict([X[i] for i in te])

    return run_folds(y, splits, fit_predict, protocol, progress)


def run_folds(labels: np.ndarray, splits, fit_predict, protocol: str, progress: bool = True) -> dict:
    """Cross-validation's record: ``fit_predict(train rows, test rows)`` -> the test rows' predictions,
    for each (train, test) of ``splits``; per-fold accuracies, their mean and std, the pooled report
    of every row's prediction and the time spent."""
    from tqdm.auto import tqdm

    labels = np.asarray(labels).astype(str)
    accs, pred = [], np.empty(len(labels), dtype=object)
    start = time.perf_counter()
    for tr, te in tqdm(splits, desc="cross-validation", unit="fold", disable=not progress):
        pred[te] = fit_predict(tr, te)
        accs.append(float((pred[te] == labels[te]).mean()))
    report = Report.from_predictions(labels, pred.astype(str), np.unique(labels))
    return {"protocol": protocol, "fold_accuracy": accs, "accuracy_mean": float(np.mean(accs)),
            "accuracy_std": float(np.std(accs)), "report": report.__dict__, "seconds": time.perf_counter() - start}
