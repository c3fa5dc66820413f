"""GRU encoder: a variable-length feature sequence -> one fixed-size temporal vector."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


# Pyramid levels of the per-frame layer's max -> how many max vectors the temporal vector holds.
FRAME_MAX_PARTS = {0: 0, 1: 1, 2: 3}


def frame_max_levels(value: object) -> int:
    """``value`` as pyramid levels of the per-frame layer's max (0, 1 or 2; ``True`` reads as 1), else ValueError."""
    if not isinstance(value, (bool, int, np.integer)) or int(value) not in FRAME_MAX_PARTS:
        raise ValueError(f"frame_max must be 0, 1 or 2 (pyramid levels), got {value!r}")
    return int(value)


class GRUEncoder(nn.Module):
    """Standardise features, project each frame, run a GRU and pool over the frames that have a person.

    The temporal vector is the concatenation of the masked mean and masked max of the GRU outputs
    and, with ``frame_max``, a temporal pyramid of the per-frame layer's masked max (the GRU's inputs):
    ``frame_max=1`` adds its max over the window (``hidden_size`` numbers), ``frame_max=2`` also its max
    over each half of the window (``3 * hidden_size``); ``True`` reads as 1. ``head`` is the supervised
    linear classifier used only while training the encoder; it reads the GRU's pooled outputs alone, so
    ``frame_max`` changes what the logistic regression reads, not how the encoder is trained.

    Why ``frame_max``: the GRU's outputs are shaped by the classes the encoder was trained on, the
    per-frame layer's less so; the most each of its units fires over a clip says which postures and
    movements occurred in it, and over each half, in what order (sitting down and standing up hold the
    same postures). Few-shot inner splits (the cached leave-one-set-out encoders, 5 clips a class,
    seeds 0 / 1; docs/experiments.md):

    ============  =============  =============  =============
    frame_max     G3D            MSRC-12        UTD-MHAD
    ============  =============  =============  =============
    0             0.802 / 0.773  0.924 / 0.942  0.866 / 0.791
    1             0.812 / 0.773  0.928 / 0.932  0.903 / 0.888
    2             0.818 / 0.788  0.939 / 0.932  0.903 / 0.926
    ============  =============  =============  =============
    """

    def __init__(self, input_dim: int, num_classes: int, hidden_size: int = 96, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.2, frame_max: int = 0):
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(input_dim))
        self.register_buffer("feature_std", torch.ones(input_dim))
        self.project = nn.Sequential(nn.Linear(input_dim, hidden_size), nn.LayerNorm(hidden_size), nn.GELU(),
                                     nn.Dropout(dropout))
        self.gru = nn.GRU(hidden_size, hidden_size, num_layers=num_layers, batch_first=True,
                          bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.frame_max = frame_max
        self.pooled_dim = 2 * hidden_size * (2 if bidirectional else 1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.pooled_dim, num_classes)

    @property
    def frame_max(self) -> int:
        """Pyramid levels of the per-frame layer's max in the temporal vector (0, 1 or 2). Only what the
        logistic regression reads depends on it, so a head may set its own on a trained encoder."""
        return self._frame_max

    @frame_max.setter
    def frame_max(self, levels: int) -> None:
        self._frame_max = frame_max_levels(levels)

    @property
    def vector_dim(self) -> int:
        """Length of the temporal vector :meth:`encode` gives."""
        return self.pooled_dim + self.gru.hidden_size * FRAME_MAX_PARTS[self._frame_max]

    def _pooled(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the GRU outputs' masked mean and max, the per-frame layer's outputs)."""
        x = (x - self.feature_mean) / self.feature_std
        h = self.project(x)
        if self.gru.bidirectional:
            # The backward direction must start at each sequence's own end.
            packed = pack_padded_sequence(h, lengths.cpu().clamp(min=1), batch_first=True, enforce_sorted=False)
            out, _ = self.gru(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        else:
            # One direction: an output never depends on later frames, so the padding after a sequence's
            # end changes none of its outputs (those are masked out below), and a padded batch runs
            # faster on CPU than a packed one (192 units, batch 64: 58 vs 78 ms a training step).
            out, _ = self.gru(h)
        m = mask.unsqueeze(-1).to(out.dtype)
        mean = (out * m).sum(1) / m.sum(1).clamp(min=1.0)
        return torch.cat([mean, _masked_max(out, mask)], dim=1), h

    def encode(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The temporal vectors (B, vector_dim). x: (B, T, F) raw features, mask: (B, T) frames with a
        person, lengths: (B,) valid lengths."""
        pooled, frames = self._pooled(x, mask, lengths)
        parts = [pooled]
        if self.frame_max:
            parts.append(_masked_max(frames, mask))
        if self.frame_max == 2:
            half = (lengths.to(mask.device) + 1) // 2
            first = torch.arange(x.shape[1], device=mask.device)[None] < half[:, None]  # each window's first half
            parts += [_masked_max(frames, mask & first), _masked_max(frames, mask & ~first)]
        return torch.cat(parts, dim=1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Class logits (B, num_classes) of the supervised head on the GRU's pooled outputs, after dropout."""
        return self.head(self.dropout(self._pooled(x, mask, lengths)[0]))


def _masked_max(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over the frames ``mask`` marks (B, T, D) -> (B, D); zeros for a window with no such frame (not -1e4)."""
    m = mask.unsqueeze(-1)
    maxed = values.masked_fill(m == 0, -1e4).max(1).values
    return torch.where(m.any(1), maxed, torch.zeros_like(maxed))
