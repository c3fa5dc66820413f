"""SequenceDataset: any dataset's samples as (KeypointSequence, target), torchvision style."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from posehar.body import sequence_to_common
from posehar.datasets import get_dataset
from posehar.errors import StoreError
from posehar.extract import extract_dataset
from posehar.pose import PoseSettings
from posehar.sequence_dataset import SequenceDataset


def test_original_format_and_shared_format_skeletons(shared):
    utd = SequenceDataset(get_dataset("utd_mhad", shared / "skeletons" / "original_samples" / "utd_mhad", train=None))
    seq, target = utd[0]
    assert seq.layout == "common_body" and utd.classes[target] == utd.dataset[0].label == seq.label
    sf = get_dataset("skeletons", shared / "skeletons" / "utd_mhad.npz")
    seq, target = SequenceDataset(sf)[3]
    assert np.array_equal(seq.pose, sf.sequence(3).pose) and sf.classes[target] == sf[3].label


def test_videos_come_from_a_keypoint_store_and_a_transform_applies(videos, tmp_path):
    for label, clip in (("kick", "seed_test_6.mp4"), ("flap", "seed_test_8.mp4")):
        (tmp_path / "clips" / label).mkdir(parents=True)
        shutil.copy(videos / clip, tmp_path / "clips" / label / clip)
    clips = get_dataset("custom", tmp_path / "clips")
    with pytest.raises(StoreError, match="is a video: give store="):
        SequenceDataset(clips)[0]
    settings = PoseSettings(keypoints="body")
    extract_dataset(clips.samples, tmp_path / "store", settings, progress=False)
    ds = SequenceDataset(clips, transform=sequence_to_common, store=tmp_path / "store", settings=settings)
    assert len(ds) == 2
    for i in range(2):
        seq, target = ds[i]
        assert seq.layout == "common_body" and ds.classes[target] == clips[i].label and len(seq) > 25
    with pytest.raises(StoreError, match="run 'posehar extract' first"):
        SequenceDataset(clips, store=tmp_path / "store", settings=PoseSettings(keypoints="holistic"))[0]
