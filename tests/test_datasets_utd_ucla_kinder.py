"""UTD-MHAD .mat, NW-UCLA all_sqe json and Kinder-Gator csv readers and datasets, on the real
sample files (../shared/data)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from posehar.datasets import (
    NWUCLA, UTDMHAD, KinderGator, get_dataset, read_kinder_gator_csv, read_skeleton_sample, read_ucla_json,
    read_utd_skeleton,
)
from posehar.datasets.protocols import PROTOCOLS, protocol_split
from posehar.layouts import KINECT_V1_JOINTS
from posehar.datasets.utd_mhad import UTD_JOINTS
from posehar.errors import DatasetLayoutError


@pytest.fixture(scope="module")
def samples(shared):
    return shared / "skeletons" / "original_samples"


def npz_match(shared, name, clip):
    """(label, subject, take) of the shared-npz sequence equal to ``clip`` (float16 tolerance)."""
    with np.load(shared / "skeletons" / f"{name}.npz", allow_pickle=False) as d:
        offsets, joints = d["offsets"], d["joints"]
        assert tuple(d["joint_names"]) == clip.joint_names
        for i in range(len(offsets) - 1):
            if offsets[i + 1] - offsets[i] == len(clip):
                seq = joints[offsets[i]:offsets[i + 1]].astype(np.float32)
                if np.abs(seq - clip.joints).max() < 3e-3:
                    return str(d["labels"][i]), str(d["subjects"][i]), str(d["takes"][i])
    return None


# --- UTD-MHAD

def test_utd_clip(samples, shared):
    folder = samples / "utd_mhad" / "data" / "Skeleton"
    clip = read_utd_skeleton(folder / "a1_s1_t1_skeleton.mat")
    raw = loadmat(str(folder / "a1_s1_t1_skeleton.mat"))["d_skel"]
    assert raw.shape == (20, 3, 48) and clip.joints.shape == (48, 20, 3) and clip.joint_names == UTD_JOINTS
    assert clip.joints[7, 11].tolist() == pytest.approx(raw[11, :, 7].tolist())  # hand_R of frame 7
    assert clip.label == "right arm swipe to the left" and clip.subject == "s1" and clip.fps == 30.0
    assert (clip.joints[:, 0, 1] > clip.joints[:, 3, 1]).all()  # head above hip_center: head-first order
    moved = np.ptp(clip.joints, axis=0).sum(axis=1)
    assert set(np.argsort(moved)[-3:]) <= {UTD_JOINTS.index(j) for j in ("hand_R", "wrist_R", "elbow_R", "hand_L")}
    for path in sorted(folder.glob("*.mat")):
        clip = read_utd_skeleton(path)
        assert npz_match(shared, "utd_mhad", clip) == (clip.label, clip.subject, f"t{clip.meta['trial']}")


def test_utd_bad_files(samples, tmp_path):
    good = loadmat(str(samples / "utd_mhad" / "data" / "Skeleton" / "a6_s3_t2_skeleton.mat"))["d_skel"]
    cases = [({"skel": good}, r"MAT variable\(s\) d_skel missing; found: skel"),
             ({"d_skel": good[:15]}, r"d_skel must be \(20 joints, 3, frames\), got shape \(15, 3, 56\)"),
             ({"d_skel": np.transpose(good, (2, 0, 1))}, r"got shape \(56, 20, 3\)")]
    for n, (content, message) in enumerate(cases):
        path = tmp_path / f"a6_s3_t{n}_skeleton.mat"
        savemat(str(path), content)
        with pytest.raises(DatasetLayoutError, match=message):
            read_utd_skeleton(path)


def test_utd_dataset(samples):
    train, test = protocol_split("utd_mhad", samples / "utd_mhad", 1)
    assert sorted(train.groups) == ["s1", "s3", "s5"] and test.groups == ["s8"] and len(train.classes) == 27
    assert read_skeleton_sample(test[0]).label == test[0].label == "squat (two arms stretch out)"
    assert "odd" in PROTOCOLS["utd_mhad"]


# --- NW-UCLA

def test_ucla_clips(samples, shared):
    folder = samples / "nw_ucla" / "data" / "NW-UCLA" / "all_sqe"
    clip = read_ucla_json(folder / "a08_s02_e01_v03.json")
    assert clip.joints.shape == (101, 20, 3) and clip.joint_names == KINECT_V1_JOINTS
    assert clip.label == "donning" and clip.subject == "s02" and clip.meta["view"] == 3 and np.isnan(clip.fps)
    single = read_ucla_json(folder / "a02_s09_e04_v02.json")  # one frame
    assert single.joints.shape == (1, 20, 3) and single.label == "pick up with two hands"
    assert single.joints[0, 0].tolist() == pytest.approx([-0.599418, 0.394726, 3.12975])
    for path in sorted(folder.glob("*.json")):
        clip = read_ucla_json(path)
        take = f"e{clip.meta['take']:02d}_v{clip.meta['view']:02d}"
        assert npz_match(shared, "nw_ucla", clip) == (clip.label, clip.subject, take)


def test_ucla_bad_files(samples, tmp_path):
    doc = json.loads((samples / "nw_ucla" / "data" / "NW-UCLA" / "all_sqe" / "a02_s09_e04_v02.json").read_text())
    cases = [
        ({**doc, "label": 3}, "label 3 does not match action a02"),
        ({**doc, "file_name": "a07_s09_e04_v02"}, "action a07 is not one of the 10 actions"),
        ({"skeletons": doc["skeletons"]}, "expected an object with file_name, skeletons and label"),
        ({**doc, "skeletons": [[[1, 2, 3]] * 19]}, r"frames x 20 joints x 3, got shape \(1, 19, 3\)"),
        ({**doc, "skeletons": [[["a", 2, 3]] * 20]}, "skeletons is not a T x 20 x 3 array of numbers"),
        ({**doc, "skeletons": []}, r"got shape \(0,\)"),
    ]
    path = tmp_path / "a02_s09_e04_v02.json"
    for content, message in cases:
        path.write_text(json.dumps(content))
        with pytest.raises(DatasetLayoutError, match=message):
            read_ucla_json(path)
    path.write_text(json.dumps(doc)[:-20])
    with pytest.raises(DatasetLayoutError, match="not valid JSON"):
        read_ucla_json(path)
    renamed = tmp_path / "renamed" / "a01_s09_e04_v02.json"  # its name would make it a01's clip
    renamed.parent.mkdir()
    renamed.write_text(json.dumps(doc))
    for read in (lambda: read_ucla_json(renamed), lambda: read_skeleton_sample(NWUCLA(renamed.parent, train=None)[0])):
        with pytest.raises(DatasetLayoutError, match="named a01_s09_e04_v02 but holds a02_s09_e04_v02"):
            read()


def test_ucla_cross_view(samples):
    train, test = protocol_split("nw_ucla", samples / "nw_ucla", 1)
    assert sorted(s.source.stem for s in train.samples) == ["a01_s01_e00_v01", "a02_s09_e04_v02"]
    assert sorted(s.source.stem for s in test.samples) == ["a01_s01_e00_v03", "a08_s02_e01_v03"]
    assert len(NWUCLA(samples / "nw_ucla", train=None)) == 4
    with pytest.raises(DatasetLayoutError, match="must not share"):
        NWUCLA(samples / "nw_ucla", train_views=(1, 3), test_views=(3,))


# --- Kinder-Gator

def test_kinder_gator_clips(samples, shared):
    clip = read_kinder_gator_csv(samples / "kinder_gator" / "Children" / "POSE-p342_05-Bow-1455372223852.csv")
    assert clip.joints.shape == (50, 20, 3) and clip.joint_names == KINECT_V1_JOINTS and clip.fps == 30.0
    assert clip.label == "Bow" and clip.subject == "child_342" and clip.meta["order"] == 5
    assert clip.joints[0, 0].tolist() == pytest.approx([0.3194394, -0.3036572, 3.152976])
    assert clip.meta["timestamps_ms"][0] == pytest.approx(50621269.3382)
    raise_hand = read_kinder_gator_csv(samples / "kinder_gator" / "Children" /
                                       "POSE-p290_01-Raise-your-hand-1455356364405.csv")
    assert raise_hand.label == "Raise your hand" and len(raise_hand) == 77
    jump = read_kinder_gator_csv(samples / "kinder_gator" / "Adults" / "POSE-p888_37-Jump-1466764773148.csv")
    for one in (clip, raise_hand, jump):
        assert npz_match(shared, "kinder_gator", one) == (one.label, one.subject, f"order{one.meta['order']:02d}")


def test_kinder_gator_bad_files(samples, tmp_path):
    good = (samples / "kinder_gator" / "Adults" / "POSE-p888_37-Jump-1466764773148.csv").read_text().splitlines()
    path = tmp_path / "Adults" / "POSE-p888_37-Jump-1466764773148.csv"
    path.parent.mkdir()
    cases = [
        ([], "the Kinder-Gator csv file is empty"),
        (good[:1], "no frames after the header"),
        ([good[0].replace("HeadX", "NoseX")], "header is not Timestamp, 20 joints x XYZ"),
        ([*good[:3], good[3].replace(",888,", ",889,")], "row 4: User-ID '889' is not the file name's participant 888"),
        ([*good[:2], ",".join(good[2].split(",")[:40]) + ","], "row 3: expected 63 fields, got 40"),
        ([*good[:2], good[2].replace(good[2].split(",")[5], "oops", 1)], "row 3: 'oops' is not a number"),
    ]
    for lines, message in cases:
        path.write_text("\n".join(lines) + ("\n" if lines else ""))
        with pytest.raises(DatasetLayoutError, match=message):
            read_kinder_gator_csv(path)
    path.write_text("\n".join(good) + "\n")
    assert read_kinder_gator_csv(path).subject == "adult_888"
    other = tmp_path / "POSE-p888_37-Throw-a-ball--1466764773148.csv"
    other.write_text("\n".join(good) + "\n")
    clip = read_kinder_gator_csv(other)
    assert clip.label == "Throw a ball" and clip.subject == "p888"  # trailing hyphen dropped; no age folder


def test_kinder_gator_protocols(samples, tmp_path):
    train, test = protocol_split("kinder_gator", samples / "kinder_gator", 1, protocol="adults_to_children")
    assert train.groups == ["adult_888"] and sorted(test.groups) == ["child_290", "child_342"]
    every = get_dataset("kinder_gator", samples / "kinder_gator", train=None)
    assert len(every) == 3 and len(every.classes) == 58
    assert [every.classes[t] for t in every.targets] == ["Jump", "Raise your hand", "Bow"]
    folds = [set(KinderGator(samples / "kinder_gator", train=False, fold=k).groups) for k in range(1, 6)]
    assert set().union(*folds) == {"adult_888", "child_290", "child_342"} and sum(map(len, folds)) == 3
    (tmp_path / "POSE-p1_01-Bow-1.csv").write_text("x")
    with pytest.raises(DatasetLayoutError, match="needs every file under Adults/ or Children/"):
        KinderGator(tmp_path, protocol="adults_to_children")
    with pytest.raises(DatasetLayoutError, match="protocol must be"):
        KinderGator(tmp_path, protocol="children_to_adults")


def test_dataset_roots_must_exist(tmp_path):
    for cls in (UTDMHAD, NWUCLA, KinderGator):
        with pytest.raises(DatasetLayoutError, match="does not exist"):
            cls(tmp_path / "missing")
