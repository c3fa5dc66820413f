"""Person-adversarial training: make the temporal vector uninformative about who is moving.

A linear person classifier reads the temporal vector through a gradient-reversal layer
(Ganin & Lempitsky, 2015): it learns to tell the training people apart while the encoder is
pushed the other way, towards vectors that carry the action but not the person.
"""

from __future__ import annotations

import torch
from torch import nn


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: float) -> torch.Tensor:
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.weight * grad, None


class PersonAdversary(nn.Module):
    """Person logits from temporal vectors, with the gradient to the vectors reversed and scaled."""

    def __init__(self, vector_dim: int, num_people: int):
        super().__init__()
        self.classify = nn.Linear(vector_dim, num_people)

    def forward(self, vectors: torch.Tensor, weight: float) -> torch.Tensor:
        return self.classify(_ReverseGradient.apply(vectors, weight))
