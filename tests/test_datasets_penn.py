"""Penn Action labels/*.mat reader and dataset, on the real sample files (../shared/data)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from posehar.datasets import PennAction, get_dataset, read_penn_mat, read_skeleton_sample
from posehar.datasets.penn_action import PENN_JOINTS
from posehar.datasets.protocols import protocol_split
from posehar.errors import DatasetLayoutError


@pytest.fixture(scope="module")
def penn(shared):
    return shared / "skeletons" / "original_samples" / "penn_action"


@pytest.fixture(scope="module")
def npz(shared):
    with np.load(shared / "skeletons" / "penn_action.npz", allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def npz_clip(npz, clip_id):
    i = list(npz["subjects"]).index(clip_id)
    return i, npz["joints"][npz["offsets"][i]:npz["offsets"][i + 1]]


def test_clip_0001(penn, npz):
    clip = read_penn_mat(penn / "labels" / "0001.mat")
    assert clip.joints.shape == (151, 13, 3) and clip.joint_names == PENN_JOINTS == tuple(npz["joint_names"])
    assert clip.label == "baseball_pitch" and clip.subject == "0001" and clip.frame_size == (480, 360)
    assert clip.meta["view"] == "back" and clip.meta["split"] == "test" and clip.meta["bbox"].shape == (151, 4)
    i, seq = npz_clip(npz, "0001")
    np.testing.assert_array_equal(clip.joints, seq)  # x, y, visibility exactly as the shared npz
    raw = loadmat(str(penn / "labels" / "0001.mat"))
    assert clip.joints[10, 5, 0] == raw["x"][10, 5] and clip.joints[10, 5, 1] == raw["y"][10, 5]
    assert np.isnan(clip.fps)


def test_every_sample_matches_the_npz(penn, npz):
    files = sorted((penn / "labels").glob("*.mat"))
    assert len(files) == 20
    for path in files:
        clip = read_penn_mat(path)
        i, seq = npz_clip(npz, path.stem)
        np.testing.assert_array_equal(clip.joints, seq)
        assert clip.label == npz["labels"][i] and clip.meta["split"] == npz["split"][i]
        assert clip.meta["view"] == npz["view"][i] and clip.frame_size == tuple(npz["frame_hw"][i][::-1])


def test_edge_cases(penn):
    hidden = read_penn_mat(penn / "labels" / "1516.mat")  # visibility 0 everywhere
    assert len(hidden) == 68 and not hidden.present.any() and not hidden.joints[..., 2].any()
    assert hidden.joints[..., :2].any()  # filler coordinates are kept, visibility says they are unknown
    for name, frames in (("1154", 72), ("1865", 73)):  # bbox one row short
        clip = read_penn_mat(penn / "labels" / f"{name}.mat")
        assert len(clip) == frames and clip.meta["bbox"].shape == (frames - 1, 4) and clip.present.all()
    long = read_penn_mat(penn / "labels" / "0758.mat")  # nframes stored as uint16
    assert len(long) == 663
    portrait = read_penn_mat(penn / "labels" / "1042.mat")
    assert portrait.frame_size == (270, 480)


def good_mat(penn):
    return {k: v for k, v in loadmat(str(penn / "labels" / "0432.mat")).items() if not k.startswith("__")}


@pytest.mark.parametrize("change, message", [
    (lambda m: m.pop("visibility"), r"MAT variable\(s\) visibility missing; found: action, bbox"),
    (lambda m: m.update(x=m["x"][:, :12], y=m["y"][:, :12], visibility=m["visibility"][:, :12]),
     r"x must be \(frames, 13\), got shape \(66, 12\)"),
    (lambda m: m.update(y=m["y"][:-1]), "x, y and visibility must have one shape"),
    (lambda m: m.update(nframes=np.array([[65]])), "nframes says 65 frames but x has 66"),
    (lambda m: m.update(train=np.array([[0]])), "train must be 1 or -1, got 0"),
    (lambda m: m.update(visibility=m["visibility"] * 2), "visibility holds values other than 0 and 1"),
    (lambda m: m.update(x=np.where(np.eye(66, 13, dtype=bool), np.nan, m["x"])), "x: NaN or infinite values"),
    (lambda m: m.update(action=np.array([[1.0]])), "'action' is not a string"),
])
def test_bad_mat_files(penn, tmp_path, change, message):
    mat = good_mat(penn)
    change(mat)
    path = tmp_path / "0432.mat"
    savemat(str(path), mat)
    with pytest.raises(DatasetLayoutError, match=message) as err:
        read_penn_mat(path)
    assert str(path) in str(err.value)


def test_not_a_mat_file(tmp_path):
    (tmp_path / "0001.mat").write_bytes(b"MATLAB 5.0 MAT-file" + b"\x00" * 20)
    with pytest.raises(DatasetLayoutError, match="not a readable MAT v5 file"):
        read_penn_mat(tmp_path / "0001.mat")
    (tmp_path / "0004.mat").write_bytes(b"MATLAB 5.0 MAT-file, Platform: MACI64" + b" " * 100 + b"\x00\x01IM" + b"\x07" * 40)
    with pytest.raises(DatasetLayoutError, match="0004.mat is not a readable MAT v5 file"):
        read_penn_mat(tmp_path / "0004.mat")
    (tmp_path / "0002.mat").write_bytes(b"")
    with pytest.raises(DatasetLayoutError, match="file is empty"):
        read_penn_mat(tmp_path / "0002.mat")
    (tmp_path / "0003.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(DatasetLayoutError, match="pickle files are never loaded"):
        read_penn_mat(tmp_path / "0003.pkl")


def test_truncated_real_file(penn, tmp_path):
    data = (penn / "labels" / "0001.mat").read_bytes()
    (tmp_path / "0001.mat").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetLayoutError, match="0001.mat"):
        read_penn_mat(tmp_path / "0001.mat")


def test_dataset_official_split(penn):
    train, test = protocol_split("penn_action", penn, 1)
    assert len(train) == 10 and len(test) == 10 and train.classes == test.classes and len(train.classes) == 15
    assert {s.source.stem for s in train.samples} == {"0020", "0432", "0710", "0980", "1284", "1516", "1567",
                                                       "1865", "1894", "2172"}
    assert all(s.group == s.source.stem and s.kind == "penn_mat" for s in train.samples + test.samples)
    every = get_dataset("penn_action", penn / "labels", train=None)
    assert len(every) == 20 and {every.classes[t] for t in every.targets} == set(every.classes)
    clip = read_skeleton_sample(train[0])
    assert clip.label == train[0].label == "baseball_pitch" and len(clip) == 56


def test_dataset_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="does not exist"):
        PennAction(tmp_path / "missing")
    (tmp_path / "labels").mkdir()
    with pytest.raises(DatasetLayoutError, match="holds no files named like"):
        PennAction(tmp_path)


def test_training_sequences_leave_out_the_clip_where_nobody_is_seen(penn):
    from posehar.skeleton_training import sample_sequences

    every = get_dataset("penn_action", penn / "labels", train=None)
    X, y, groups = sample_sequences(every.samples)
    assert len(every) == 20 and len(X) == len(y) == len(groups) == 19  # 1516: visibility 0 throughout
    assert "1516" not in groups and all(seq.pose_present.any() for seq in X)
