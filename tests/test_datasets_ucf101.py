"""UCF101 on a fixture tree of 13,320 placeholder clips named by the real split lists."""

from __future__ import annotations

import pytest
from dataset_fixtures import create_empty, make_ucf101, touch

from posehar.datasets import UCF101, get_dataset
from posehar.datasets.base import SHIPPED_SPLITS
from posehar.errors import DatasetLayoutError

OFFICIAL = {1: (9537, 3783), 2: (9586, 3734), 3: (9624, 3696)}


@pytest.fixture(scope="module")
def ucf101(tmp_path_factory):
    return make_ucf101(tmp_path_factory.mktemp("ucf101"))


@pytest.mark.parametrize("split", [1, 2, 3])
def test_official_counts_and_disjoint_groups(ucf101, split):
    train, test = UCF101(ucf101, split=split), UCF101(ucf101, split=split, train=False)
    assert (len(train), len(test)) == OFFICIAL[split]
    assert not set(train.groups) & set(test.groups)
    assert len(train.classes) == 101 and train.classes[0] == "ApplyEyeMakeup" and train.classes[-1] == "YoYo"
    assert set(train.targets) == set(range(101)) == set(test.targets)
    assert all(s.source.is_file() and s.kind == "video" and s.index is None for s in test.samples[:50])


def test_sample_fields_and_case_differences(ucf101):
    ds = UCF101(ucf101 / "UCF-101", split=1, train=False)  # root may be the UCF-101 folder itself
    first = ds[0]
    assert first.label == "ApplyEyeMakeup" and first.group == "g01"
    assert first.source.name == "v_ApplyEyeMakeup_g01_c01.avi"
    handstand = [s for s in ds.samples if s.label == "HandstandPushups"]
    assert handstand and all(s.source.name.startswith("v_HandStandPushups_") for s in handstand)
    assert ds.targets[ds.samples.index(handstand[0])] == ds.classes.index("HandstandPushups")


def test_folder_and_file_names_matched_case_insensitively(tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "classInd.txt").write_bytes(b"1 ApplyEyeMakeup\r\n2 HandstandPushups\r\n")
    (lists / "trainlist01.txt").write_bytes(
        b"HandstandPushups/v_HandStandPushups_g08_c01.avi 2\r\nApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\n"
    )
    touch(tmp_path / "UCF-101" / "handstandpushups" / "V_HANDSTANDPUSHUPS_G08_C01.AVI")
    touch(tmp_path / "UCF-101" / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g08_c01.avi")
    ds = UCF101(tmp_path, split_dir=lists)
    assert [s.label for s in ds] == ["HandstandPushups", "ApplyEyeMakeup"]
    assert ds[0].source.name == "V_HANDSTANDPUSHUPS_G08_C01.AVI" and ds.targets == [1, 0]


def test_shipped_split_files_are_the_default(ucf101, tmp_path):
    (tmp_path / "UCF-101").symlink_to(ucf101 / "UCF-101")  # no ucfTrainTestlist/ beside it
    assert len(get_dataset("ucf101", tmp_path, split=2, train=False)) == 3734


@pytest.mark.parametrize("split", [0, 4, "1", True])
def test_bad_split_number(ucf101, split):
    with pytest.raises(DatasetLayoutError, match=r"split must be 1, 2 or 3, got"):
        UCF101(ucf101, split=split)


def test_error_messages(tmp_path):
    with pytest.raises(DatasetLayoutError, match="does not exist"):
        UCF101(tmp_path / "nope")
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    with pytest.raises(DatasetLayoutError, match=r"has no class folders like ApplyEyeMakeup/; found: a, b, c"):
        UCF101(tmp_path)
    with pytest.raises(DatasetLayoutError, match=r"split folder .* has no classInd.txt; found: nothing"):
        UCF101(tmp_path, split_dir=tmp_path / "a")


def test_missing_clips_are_counted(tmp_path):
    lines = (SHIPPED_SPLITS / "ucf101" / "testlist01.txt").read_text().split()
    create_empty(tmp_path / "UCF-101" / line for line in lines[:100])
    with pytest.raises(DatasetLayoutError, match=r"3683 file\(s\) named in .*testlist01.txt are not under .*, e\.g\. "):
        UCF101(tmp_path, train=False)


def test_inconsistent_class_index(tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "classInd.txt").write_text("1 ApplyEyeMakeup\n2 Archery\n")
    (lists / "trainlist01.txt").write_text("Archery/v_Archery_g01_c01.avi 1\n")
    touch(tmp_path / "Archery" / "v_Archery_g01_c01.avi")
    with pytest.raises(DatasetLayoutError, match="has class index 1, classInd.txt says 2"):
        UCF101(tmp_path, split_dir=lists)
    (lists / "trainlist01.txt").write_text("Bowling/v_Bowling_g01_c01.avi 1\n")
    with pytest.raises(DatasetLayoutError, match="names class 'Bowling', which is not in classInd.txt"):
        UCF101(tmp_path, split_dir=lists)
    (lists / "classInd.txt").write_text("1 ApplyEyeMakeup\n3 Archery\n")
    with pytest.raises(DatasetLayoutError, match=r"must number 2 distinct classes 1..2; got indices 1, 3"):
        UCF101(tmp_path, split_dir=lists)
    (lists / "classInd.txt").write_text("\r\n")
    with pytest.raises(DatasetLayoutError, match="classInd.txt lists no classes"):
        UCF101(tmp_path, split_dir=lists)
    (lists / "classInd.txt").write_text("1 ApplyEyeMakeup\n2 Archery\n")
    (lists / "trainlist01.txt").write_text("Archery/archery_1.avi 2\n")
    with pytest.raises(DatasetLayoutError, match=r"line 1: expected 'Class/v_Class_gXX_cYY.avi \[class index\]'"):
        UCF101(tmp_path, split_dir=lists)
    (lists / "trainlist01.txt").write_bytes(b"Archery/v_Archery_g01_c01.avi 2\xff\n")
    with pytest.raises(DatasetLayoutError, match="trainlist01.txt is not a UTF-8 text file"):
        UCF101(tmp_path, split_dir=lists)
