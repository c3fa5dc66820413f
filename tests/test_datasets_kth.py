"""KTH: standard person split and person-range split, per-action and flat layouts."""

from __future__ import annotations

import pytest
from dataset_fixtures import make_kth, touch

from posehar.datasets import KTH
from posehar.errors import DatasetLayoutError


@pytest.fixture(scope="module")
def kth(tmp_path_factory):
    return make_kth(tmp_path_factory.mktemp("kth"))


def _persons(ds):
    return sorted({int(g.removeprefix("person")) for g in ds.groups})


def test_standard_split(kth):
    train, val, test = (KTH(kth, subset=s) for s in ("train", "val", "test"))
    assert _persons(train) == list(range(11, 19))
    assert _persons(val) == [1, 4, 19, 20, 21, 23, 24, 25]
    assert _persons(test) == [2, 3, 5, 6, 7, 8, 9, 10, 22]
    assert (len(train), len(val), len(test)) == (8 * 24, 8 * 24, 9 * 24)
    s = test[0]
    assert s.label in s.source.name and s.source.parent.name == s.label and s.group == "person02"
    assert train.classes == ["boxing", "handclapping", "handwaving", "jogging", "running", "walking"]


def test_person_range(kth):
    test = KTH(kth, subset="test", protocol="person_range")
    train = KTH(kth, subset="train", protocol="person_range")
    assert _persons(test) == list(range(17, 26)) and _persons(train) == list(range(1, 17))
    custom = KTH(kth, subset="test", protocol="person_range", test_persons=[1, 2])
    assert _persons(custom) == [1, 2]


def test_flat_layout(tmp_path):
    make_kth(tmp_path, per_action=False, persons=[11, 2])
    ds = KTH(tmp_path)
    assert len(ds) == 24 and ds[0].source.parent == tmp_path and set(ds.groups) == {"person11"}


def test_errors(kth, tmp_path):
    with pytest.raises(DatasetLayoutError, match="subset must be 'train', 'val' or 'test', got 'dev'"):
        KTH(kth, subset="dev")
    with pytest.raises(DatasetLayoutError, match="subset must be 'train' or 'test' with protocol='person_range'"):
        KTH(kth, subset="val", protocol="person_range")
    with pytest.raises(DatasetLayoutError, match="protocol must be 'standard' or 'person_range'"):
        KTH(kth, protocol="loso")
    with pytest.raises(DatasetLayoutError, match="test_persons is only used with protocol='person_range'"):
        KTH(kth, test_persons=[1])
    with pytest.raises(DatasetLayoutError, match="proper subset of persons 1..25, got 0, 1"):
        KTH(kth, protocol="person_range", test_persons=[0, 1])
    with pytest.raises(DatasetLayoutError, match=r"holds no personXX_<action>_dY_uncomp.avi clips .*found: readme.txt"):
        touch(tmp_path / "readme.txt")
        KTH(tmp_path)
    touch(tmp_path / "boxing" / "person01_boxing_d5_uncomp.avi")
    with pytest.raises(DatasetLayoutError, match=r"1 .avi file\(s\) not named .*boxing/person01_boxing_d5_uncomp.avi"):
        KTH(tmp_path)
