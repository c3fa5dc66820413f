"""Plots where a picture reads better than numbers: confusion matrix, timeline, training curve."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_confusion(matrix: np.ndarray, classes, out: str | os.PathLike, title: str = "") -> Path:
    """Save a row-normalised confusion matrix (counts annotated) as PNG."""
    matrix = np.asarray(matrix)
    norm = matrix / np.maximum(matrix.sum(1, keepdims=True), 1)
    size = max(4.0, 0.45 * len(classes) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(classes) <= 30:
        for i in range(len(classes)):
            for j in range(len(classes)):
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                        color="white" if norm[i, j] > 0.5 else "black", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return _save(fig, out)


def plot_timeline(result, out: str | os.PathLike) -> Path:
    """Save an ActionPrediction's timeline as coloured segments along the time axis."""
    labels = sorted({s.label for s in result.timeline} | {result.label})
    cmap = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.3 * len(labels)))
    for seg in result.timeline:
        row = labels.index(seg.label)
        ax.barh(row, seg.end_s - seg.start_s, left=seg.start_s, color=cmap(row % 10), alpha=0.4 + 0.6 * seg.confidence)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("time (s)")
    ax.set_xlim(0, max(result.duration_s, 1e-3))
    ax.set_title(f"{Path(result.source).name}: {result.label}")
    fig.tight_layout()
    return _save(fig, out)


def _save(fig, out) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
