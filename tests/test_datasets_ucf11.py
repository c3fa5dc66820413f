"""UCF11: leave-one-group-out and seeded random splits, grouped and flattened layouts."""

from __future__ import annotations

import collections

import pytest
from dataset_fixtures import make_ucf11, touch

from posehar.datasets import UCF11
from posehar.errors import DatasetLayoutError


@pytest.fixture(scope="module")
def ucf11(tmp_path_factory):
    return make_ucf11(tmp_path_factory.mktemp("ucf11"))


@pytest.mark.parametrize("fold", [1, 13, 25])
def test_leave_one_group_out(ucf11, fold):
    train, test = UCF11(ucf11, fold=fold), UCF11(ucf11, fold=fold, train=False)
    assert (len(train), len(test)) == (11 * 24 * 2, 11 * 2)
    assert set(test.groups) == {f"{fold:02d}"} and f"{fold:02d}" not in train.groups
    assert train.classes == sorted(train.classes) and len(train.classes) == 11
    assert all(s.source.suffix == ".mpg" and s.kind == "video" for s in train)


def test_group_folder_and_sample_fields(ucf11):
    s = UCF11(ucf11, fold=3, train=False)[0]
    assert s.label == "basketball" and s.group == "03"
    assert s.source.parent.name == "v_shooting_03" and s.source.name == "v_shooting_03_01.mpg"


def test_flattened_copy_and_wrapper_folder(tmp_path):
    make_ucf11(tmp_path / "UCF11_updated_mpg", flat=True, clips=1, groups=2)
    ds = UCF11(tmp_path, fold=2, train=False)
    assert len(ds) == 11 and ds[0].source.parent.name == "basketball" and ds[0].group == "02"


def test_random_protocol_is_seeded_stratified_and_complementary(ucf11):
    train = UCF11(ucf11, protocol="random", test_size=0.3, seed=7)
    test = UCF11(ucf11, protocol="random", test_size=0.3, seed=7, train=False)
    assert len(train) + len(test) == 550 and len(test) == 11 * 15
    assert not {s.source for s in train} & {s.source for s in test}
    assert set(collections.Counter(test.targets).values()) == {15}
    again = UCF11(ucf11, protocol="random", test_size=0.3, seed=7, train=False)
    other = UCF11(ucf11, protocol="random", test_size=0.3, seed=8, train=False)
    assert again.samples == test.samples and other.samples != test.samples


def test_argument_errors(ucf11):
    with pytest.raises(DatasetLayoutError, match=r"fold must be 1\.\.25 \(the test group\), got 26"):
        UCF11(ucf11, fold=26)
    with pytest.raises(DatasetLayoutError, match="protocol must be one of logo, random, got 'kfold'"):
        UCF11(ucf11, protocol="kfold")
    with pytest.raises(DatasetLayoutError, match="test_size must be between 0 and 1, got 1.5"):
        UCF11(ucf11, protocol="random", test_size=1.5)


def test_layout_errors(tmp_path):
    (tmp_path / "clips").mkdir()
    with pytest.raises(DatasetLayoutError, match=r"has no class folders like basketball/; found: clips"):
        UCF11(tmp_path)
    make_ucf11(tmp_path, clips=1, groups=1)
    touch(tmp_path / "biking" / "v_biking_01" / "my clip.mpg")
    with pytest.raises(DatasetLayoutError, match=r"1 clip\(s\) not named v_<short>_<gg>_<cc>.mpg .*biking/my clip.mpg"):
        UCF11(tmp_path)
    (tmp_path / "biking" / "v_biking_01" / "my clip.mpg").unlink()
    for path in (tmp_path / "walking").rglob("*"):
        if path.is_file():
            path.unlink()
    with pytest.raises(DatasetLayoutError, match="walking holds no v_<short>_<gg>_<cc>.mpg clips"):
        UCF11(tmp_path)


def test_missing_class_folders(tmp_path):
    (tmp_path / "basketball").mkdir()
    with pytest.raises(DatasetLayoutError, match=r"lacks class folders biking, diving, .*\(\+5 more\)"):
        UCF11(tmp_path)
