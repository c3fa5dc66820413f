"""Training-time augmentation on real skeleton clips (UTD-MHAD, Kinect): what the encoder is trained on
must read like what it is later asked to read."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posehar.augment import AugmentConfig, FeatureAugmenter
from posehar.body import to_common
from posehar.classifier import PoseActionClassifier
from posehar.datasets.skeleton_file import SkeletonFile
from posehar.features import FeatureConfig, sequence_features

CONFIG = FeatureConfig(layout="common_body", hands=False, fingers=False, root_motion=True, depth=True)
SPEED_ONLY = AugmentConfig(mirror=0.0, rotation_deg=0.0, scale=0.0, shear=0.0, speed=0.25, hand_dropout=0.0,
                           noise=0.0, depth_dropout=0.0, depth_scale=0.0)


def _batch(shared, crops):
    """A padded batch of real clips cut to ``crops`` frames each (as training crops them)."""
    sf = SkeletonFile(shared / "skeletons" / "utd_mhad.npz")
    items = []
    for i, n in enumerate(crops):
        f, m = sequence_features(to_common(sf.clip(i * 7)), CONFIG)
        items.append((f[:n], m[:n]))
    return PoseActionClassifier._batch(items)


def test_speed_change_ends_each_sequence_where_its_frames_run_out(shared):
    """A sped-up clip ends sooner and a slowed-down one later; past its end there is only padding (zeros,
    masked out), so short clips in a batch of long ones pool over their own frames only."""
    crops = [20, 25, 30, 40, 50, 60, 20, 35]
    x, m, lengths = _batch(shared, crops)
    assert m.all(1).sum() < len(crops)  # the batch has padding
    velocity = torch.as_tensor([c for name, cols in CONFIG.block_columns().items() if name.endswith("velocity")
                                for c in cols])
    still = torch.as_tensor(np.setdiff1d(np.arange(CONFIG.dim()), velocity.numpy()))
    aug = FeatureAugmenter(CONFIG, SPEED_ONLY, torch.Generator().manual_seed(3))
    shorter = longer = 0
    for _ in range(5):
        x2, m2, n2 = aug(x, m, lengths)
        for b in range(len(crops)):
            n, t = int(n2[b]), x.shape[1]
            assert m2[b].sum() == n and m2[b, :n].all()  # every frame up to the new end is the person's
            assert not x2[b, n:].any() and not m2[b, n:].any()
            # Every frame played is a frame of the clip, in order (velocity rescaled by the speed factor).
            src = x[b, : lengths[b], still]
            hit = (x2[b, :n, still][:, None, :] == src[None]).all(-1)
            assert hit.any(1).all()
            order = hit.float().argmax(1)
            assert (order[1:] >= order[:-1]).all()
            assert n <= t
            shorter += n < lengths[b]
            longer += n > lengths[b]
    assert shorter and longer


def test_speed_change_of_a_full_batch_keeps_every_frame_masked_in():
    """A sequence as long as the batch stays as long: a slowed-down one is a stretch of it, not padded."""
    t, f = 40, CONFIG.dim()
    x = torch.randn(4, t, f)
    m = torch.ones(4, t, dtype=torch.bool)
    lengths = torch.full((4,), t)
    aug = FeatureAugmenter(CONFIG, SPEED_ONLY, torch.Generator().manual_seed(0))
    full = shorter = 0
    for _ in range(5):
        _, m2, n2 = aug(x, m, lengths)
        assert (m2.sum(1) == n2).all() and (n2 <= t).all() and (n2 >= int(t / 1.25) - 1).all()
        full += int((n2 == t).sum())
        shorter += int((n2 < t).sum())
    assert full and shorter  # slowed down: all t frames, a stretch; sped up: fewer


def test_a_sequence_encodes_the_same_alone_or_padded_in_a_batch(shared):
    """Padding after a sequence's end (a batch of longer ones) changes nothing of its vector, in one
    direction (run padded) as in two (run packed)."""
    from posehar.encoder import GRUEncoder

    crops = [20, 60, 33, 47]
    x, m, lengths = _batch(shared, crops)
    torch.manual_seed(0)
    for bidirectional in (False, True):
        enc = GRUEncoder(CONFIG.dim(), 5, hidden_size=32, bidirectional=bidirectional).eval()
        with torch.no_grad():
            together = enc.encode(x, m, lengths)
            for b, n in enumerate(crops):
                alone = enc.encode(x[b: b + 1, :n], m[b: b + 1, :n], lengths[b: b + 1])
                torch.testing.assert_close(together[b: b + 1], alone, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("levels", [1, 2])
def test_frame_max_adds_the_per_frame_layers_max_to_the_vector_and_leaves_training_as_it_was(shared, levels):
    """With ``frame_max`` the temporal vector ends in the max over the person's frames of the per-frame
    layer's outputs (level 2: then over each half of the window); the training head reads the GRU's
    pooled outputs alone, so the same weights give the same logits either way (training is unchanged)."""
    from posehar.encoder import GRUEncoder

    crops = [20, 60, 33]
    x, m, lengths = _batch(shared, crops)
    m[2, 5:9] = False  # frames without the person never count
    torch.manual_seed(0)
    plain = GRUEncoder(CONFIG.dim(), 5, hidden_size=32).eval()
    torch.manual_seed(0)
    wide = GRUEncoder(CONFIG.dim(), 5, hidden_size=32, frame_max=levels).eval()
    assert (plain.vector_dim, wide.vector_dim, wide.pooled_dim) == (64, 96 if levels == 1 else 160, 64)
    with torch.no_grad():
        torch.testing.assert_close(wide(x, m, lengths), plain(x, m, lengths))
        vectors = wide.encode(x, m, lengths)
        torch.testing.assert_close(vectors[:, :64], plain.encode(x, m, lengths))
        frames = wide.project((x - wide.feature_mean) / wide.feature_std)
        for b, n in enumerate(lengths.tolist()):  # a clip shorter than its crop keeps its own length
            spans = [(0, n)] + ([(0, (n + 1) // 2), ((n + 1) // 2, n)] if levels == 2 else [])
            expected = [frames[b, a:z][m[b, a:z]].max(0).values for a, z in spans]
            torch.testing.assert_close(vectors[b, 64:], torch.cat(expected))
    with pytest.raises(ValueError, match="frame_max must be 0, 1 or 2"):
        GRUEncoder(CONFIG.dim(), 5, hidden_size=32, frame_max=3)
