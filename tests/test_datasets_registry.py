"""Registry, base class, shipped split files and the datasets/ notes."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from dataset_fixtures import make_kth

from posehar.datasets import DATASETS, ActionDataset, Sample, get_dataset, read_skeleton_sample
from posehar.datasets import g3d, hmdb51, kth, ucf11, ucf101
from posehar.datasets.base import SHIPPED_SPLITS, read_text
from posehar.errors import DatasetLayoutError

PROJECT = Path(__file__).resolve().parents[1]


def test_registry_names():
    assert set(DATASETS) == {"ucf101", "ucf11", "g3d", "hmdb51", "kth", "custom", "ntu_rgbd", "penn_action",
                             "msrc12", "utd_mhad", "nw_ucla", "kinder_gator", "skeletons", "keypoints"}
    assert all(issubclass(cls, ActionDataset) and cls.name == key for key, cls in DATASETS.items())


def test_posehars_own_formats_by_name(shared):
    """A shared-format skeleton set and a keypoint folder load by name too, each sequence on demand."""
    sf = get_dataset("skeletons", shared / "skeletons" / "utd_mhad.npz")
    assert len(sf) == 861 and sf[0].kind == "skeleton_npz" and sf.sequence(0).layout == "common_body"
    clip = read_skeleton_sample(sf[5])  # one reader for every skeleton sample, this kind too
    assert clip.label == sf[5].label and clip.joints.shape == sf.clip(5).joints.shape
    kf = get_dataset("keypoints", shared / "keypoints" / "mp_gestures")
    assert kf.sequence(0).label == kf[0].label and kf[0].group == "p01"


def test_get_dataset(tmp_path):
    make_kth(tmp_path, persons=[2])
    ds = get_dataset("KTH", tmp_path, subset="test")
    assert len(ds) == 24 and isinstance(ds[0], Sample) and ds[0].index is None
    with pytest.raises(DatasetLayoutError, match=r"unknown dataset 'ntu'; known datasets: ucf101, ucf11, g3d"):
        get_dataset("ntu", tmp_path)


def test_base_checks_labels():
    with pytest.raises(DatasetLayoutError, match="labels run are not among the classes walk"):
        ActionDataset(["walk"], [Sample(Path("x"), "run", "g", "video")])


def test_shipped_splits_match_real_files(shared):
    for name in ("ucf101", "hmdb51"):
        real = sorted(p.name for p in (shared / "splits" / name).iterdir())
        assert real == sorted(p.name for p in (SHIPPED_SPLITS / name).iterdir())
        match, mismatch, errors = filecmp.cmpfiles(shared / "splits" / name, SHIPPED_SPLITS / name, real, shallow=False)
        assert not mismatch and not errors
    assert b"\r\n" in (SHIPPED_SPLITS / "ucf101" / "testlist01.txt").read_bytes()


def test_split_files_stored_once():
    """The package copy is the only one: datasets/<name>/ holds notes and classes.txt, no split files."""
    for name in ("ucf101", "hmdb51"):
        assert sorted(p.name for p in (PROJECT / "datasets" / name).iterdir()) == ["README.md", "classes.txt"]
        assert f"posehar/datasets/splits/{name}/" in (PROJECT / "datasets" / name / "README.md").read_text()


@pytest.mark.parametrize("name, classes", [
    ("ucf101", ucf101.parse_class_index(read_text(SHIPPED_SPLITS / "ucf101" / "classInd.txt"))),
    ("hmdb51", sorted({p.name.rsplit("_test_split", 1)[0] for p in (SHIPPED_SPLITS / "hmdb51").glob("*.txt")})),
    ("ucf11", ucf11.CLASSES), ("kth", kth.CLASSES), ("g3d", g3d.ACTIONS),
])
def test_classes_txt(name, classes):
    assert (PROJECT / "datasets" / name / "classes.txt").read_text().split("\n")[:-1] == list(classes)
    assert (PROJECT / "datasets" / name / "README.md").is_file()


def test_hmdb51_split_names():
    assert len(list((SHIPPED_SPLITS / "hmdb51").glob("*_test_split*.txt"))) == 153
    assert hmdb51.SPLIT_FOLDER == "testTrainMulti_7030_splits"
