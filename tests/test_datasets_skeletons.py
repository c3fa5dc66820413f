"""read_skeleton_sample: one entry point for every original-format skeleton sample kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from posehar.datasets import DATASETS, SKELETON_READERS, Sample, get_dataset, read_skeleton_sample
from posehar.datasets.skeleton_io import read_bytes
from posehar.errors import DatasetLayoutError
from posehar.skeleton import SkeletonClip

ROOTS = {
    "ntu_rgbd": ("ntu_rgbd", {"protocol": None}), "penn_action": ("penn_action", {"train": None}),
    "msrc12": ("msrc12", {"train": None}), "utd_mhad": ("utd_mhad", {"train": None}),
    "nw_ucla": ("nw_ucla", {"train": None}), "kinder_gator": ("kinder_gator", {"train": None}),
    "g3d": ("g3d/json_frames", {}),
}


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_every_sample_reads(shared, name):
    folder, options = ROOTS[name]
    ds = get_dataset(name, shared / "skeletons" / "original_samples" / folder, **options)
    assert len(ds) >= 3
    for sample in ds.samples:
        assert sample.kind in SKELETON_READERS
        clip = read_skeleton_sample(sample)
        assert isinstance(clip, SkeletonClip) and clip.label == sample.label and clip.subject == sample.group
        assert clip.source == str(sample.source) and len(clip) >= 1


def test_registered():
    assert {"ntu_rgbd", "penn_action", "msrc12", "utd_mhad", "nw_ucla", "kinder_gator"} <= set(DATASETS)


def test_unknown_kind_and_pickles(tmp_path):
    with pytest.raises(DatasetLayoutError, match="sample kind 'video' is not a skeleton kind"):
        read_skeleton_sample(Sample(Path("clip.mp4"), "wave", "p1", "video"))
    (tmp_path / "val_label.pkl").write_bytes(b"\x80\x04]\x94.")
    with pytest.raises(DatasetLayoutError, match="pickle files are never loaded"):
        read_bytes(tmp_path / "val_label.pkl", "label")
    for kind in ("ucla_json", "penn_mat", "utd_mat"):
        with pytest.raises(DatasetLayoutError, match="pickle files are never loaded"):
            read_skeleton_sample(Sample(tmp_path / "val_label.pkl", "x", "g", kind))
