"""HMDB51 on a fixture tree of 6,766 placeholder clips named by the real split files."""

from __future__ import annotations

import collections

import pytest
from dataset_fixtures import make_hmdb51

from posehar.datasets import HMDB51
from posehar.datasets.hmdb51 import parse_split_file, source_name
from posehar.errors import DatasetLayoutError


@pytest.fixture(scope="module")
def hmdb51(tmp_path_factory):
    return make_hmdb51(tmp_path_factory.mktemp("hmdb51"))


@pytest.mark.parametrize("split", [1, 2, 3])
def test_70_train_30_test_per_class(hmdb51, split):
    train, test = HMDB51(hmdb51, split=split), HMDB51(hmdb51, split=split, train=False)
    assert len(train.classes) == 51 and train.classes == sorted(train.classes)
    assert set(collections.Counter(train.targets).values()) == {70}
    assert set(collections.Counter(test.targets).values()) == {30}
    assert not {s.source for s in train} & {s.source for s in test}
    assert all(s.source.parent.name == s.label for s in test)


def test_groups_are_source_movies(hmdb51):
    ds = HMDB51(hmdb51, split=1)
    first = ds[0]
    assert first.source.name == "April_09_brush_hair_u_nm_np1_ba_goo_0.avi" and first.group == "April_09"
    assert 900 < len(set(ds.groups)) < len(ds)


@pytest.mark.parametrize("stem, action, source", [
    ("April_09_brush_hair_u_nm_np1_ba_goo_0", "brush_hair", "April_09"),
    ("50_FIRST_DATES_wave_f_cm_np1_fr_med_0", "wave", "50_FIRST_DATES"),
    ("some_clip", "wave", "some_clip"),
    ("wave_f_cm_np1_fr_med_0", "wave", "wave_f_cm_np1_fr_med_0"),
])
def test_source_name(stem, action, source):
    assert source_name(stem, action) == source


def test_error_messages(hmdb51, tmp_path):
    with pytest.raises(DatasetLayoutError, match="split must be 1, 2 or 3, got 4"):
        HMDB51(hmdb51, split=4)
    (tmp_path / "videos").mkdir()
    with pytest.raises(DatasetLayoutError, match=r"has no class folders like brush_hair/; found: videos"):
        HMDB51(tmp_path)
    (tmp_path / "wave").mkdir()
    with pytest.raises(DatasetLayoutError, match=r"3570 file\(s\) named in the split-1 files in .* are not under"):
        HMDB51(tmp_path)
    with pytest.raises(DatasetLayoutError, match="has no brush_hair_test_split2.txt"):
        HMDB51(hmdb51, split=2, split_dir=tmp_path)


def test_split_file_lines():
    assert parse_split_file("a.avi 1 \nb.avi 2\r\n\nc.avi 0\n") == [("a.avi", 1), ("b.avi", 2), ("c.avi", 0)]
    with pytest.raises(DatasetLayoutError, match=r"line 2: expected '<video>.avi <0\|1\|2>', got 'b.avi 3'"):
        parse_split_file("a.avi 1\nb.avi 3\n")
