"""Training-time augmentation in feature space (cheap: applied to a batch tensor).

Left/right mirroring is done on the keypoints (see :func:`posehar.features.mirror`) because
it permutes joints and swaps hands; everything here acts on a batch of feature tensors.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from .features import FeatureConfig


@dataclass(frozen=True)
class AugmentConfig:
    """Strength of each augmentation; 0 turns one off."""

    mirror: float = 0.5          # probability of using the mirrored sequence
    rotation_deg: float = 15.0   # uniform in +-rotation_deg
    scale: float = 0.15          # uniform scale in 1 +- scale
    shear: float = 0.15          # uniform shear in +-shear
    speed: float = 0.25          # playback speed in [1/(1+speed), 1+speed]
    hand_dropout: float = 0.1    # probability a hand is dropped for a run of frames
    noise: float = 0.01          # gaussian noise on coordinates (body units)
    depth_dropout: float = 0.25  # probability a sequence's depth is dropped (as 2D annotations lack it)
    depth_scale: float = 0.3     # depth multiplied by uniform 1 +- depth_scale (MediaPipe's is an estimate)

    def as_dict(self) -> dict:
        """The augmentation strengths as a plain dict."""
        return asdict(self)


class FeatureAugmenter:
    """Random affine (rotation, scale, shear), speed change, hand dropout, noise, depth dropout and scale."""

    def __init__(self, features: FeatureConfig, config: AugmentConfig, generator: torch.Generator):
        self.config = config
        self.gen = generator
        xs, ys = features.xy_columns()
        self.xs = torch.as_tensor(xs)
        self.ys = torch.as_tensor(ys)
        cols = features.block_columns()

        def ending(kind: str) -> torch.Tensor:
            """Columns of the blocks whose name ends with ``kind`` (a two-person layout prefixes a_, b_)."""
            return torch.as_tensor([c for name, cs in cols.items() if name.endswith(kind) for c in cs],
                                   dtype=torch.long)

        self.velocity_cols = ending("velocity")
        self.hand_cols = [torch.as_tensor([c for n in (f"{s}_shape", f"{s}_wrist", f"{s}_flag", f"{s}_fingers")
                                           if n in cols for c in cols[n]])
                          for s in ("left", "right") if f"{s}_shape" in cols]
        self.depth_cols = ending("depth_velocity")
        self.depth_flag_cols = ending("depth_flag")

    def _uniform(self, n: int, lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=self.gen)

    def __call__(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x: (B, T, F) raw features, mask: (B, T), lengths: (B,); returns augmented (x, mask, lengths)."""
        c = self.config
        b, t, _ = x.shape
        x = x.clone()
        if c.speed > 0:
            x, mask, lengths = self._speed(x, mask, lengths)
        theta = self._uniform(b, -1, 1) * math.radians(c.rotation_deg)
        scale = self._uniform(b, 1 - c.scale, 1 + c.scale)
        shear = self._uniform(b, -c.shear, c.shear)
        cos, sin = torch.cos(theta), torch.sin(theta)
        a11, a12 = scale * cos, scale * (shear * cos - sin)
        a21, a22 = scale * sin, scale * (shear * sin + cos)
        px, py = x[:, :, self.xs], x[:, :, self.ys]
        nz = (px != 0) | (py != 0)
        nx = a11[:, None, None] * px + a12[:, None, None] * py
        ny = a21[:, None, None] * px + a22[:, None, None] * py
        if c.noise > 0:
            nx = nx + c.noise * torch.randn(nx.shape, generator=self.gen)
            ny = ny + c.noise * torch.randn(ny.shape, generator=self.gen)
        x[:, :, self.xs] = torch.where(nz, nx, px)
        x[:, :, self.ys] = torch.where(nz, ny, py)
        if c.hand_dropout > 0:
            for cols in self.hand_cols:
                drop = torch.rand(b, generator=self.gen) < c.hand_dropout
                start = (torch.rand(b, generator=self.gen) * t).long()
                span = (torch.rand(b, generator=self.gen) * t).long() + 1
                frames = torch.arange(t)[None, :]
                hit = drop[:, None] & (frames >= start[:, None]) & (frames < (start + span)[:, None])
                x[:, :, cols] = x[:, :, cols].masked_fill(hit[:, :, None], 0.0)
        if len(self.depth_cols):
            factor = self._uniform(b, 1 - c.depth_scale, 1 + c.depth_scale)
            keep = (torch.rand(b, generator=self.gen) >= c.depth_dropout).to(x.dtype)
            x[:, :, self.depth_cols] *= (factor * keep)[:, None, None]
            x[:, :, self.depth_flag_cols] *= keep[:, None, None]
        return x, mask, lengths

    def _speed(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Each sequence played ``factor`` times as fast: frame k reads frame k * factor + offset. A
        sped-up sequence ends sooner; a slowed-down one longer than the batch is a random stretch of it.
        Frames past a sequence's new end are padding (zeros, masked out), never repeats of its last frame."""
        b, t, _ = x.shape
        hi = 1 + self.config.speed
        factor = torch.exp(self._uniform(b, -math.log(hi), math.log(hi)))
        pos = torch.arange(t)[None, :] * factor[:, None]
        span = (lengths.float() - 1).clamp(min=0)[:, None]
        offset = self._uniform(b, 0, 1)[:, None] * (span - pos[:, -1:]).clamp(min=0)
        read = (pos + offset).round()
        new_lengths = (read <= span).sum(1).clamp(min=1)
        rows = read.long().clamp(min=0).minimum(span.long())
        inside = torch.arange(t)[None, :] < new_lengths[:, None]
        x = torch.gather(x, 1, rows[:, :, None].expand(-1, -1, x.shape[2])) * inside[:, :, None]
        mask = torch.gather(mask, 1, rows) & inside
        if len(self.velocity_cols):
            x[:, :, self.velocity_cols] *= factor[:, None, None]
        return x, mask, new_lengths.to(lengths.dtype)
