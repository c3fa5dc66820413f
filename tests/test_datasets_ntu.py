"""NTU RGB+D raw .skeleton reader and dataset, on the real sample files (../shared/data)."""

from __future__ import annotations

import numpy as np
import pytest

from posehar.datasets import NTURGBD, get_dataset, ntu_main_body, read_ntu_performer, read_ntu_skeleton
from posehar.datasets.ntu_rgbd import NTU_JOINTS, parse_ntu_name
from posehar.datasets.protocols import PROTOCOLS, protocol_split
from posehar.errors import DatasetLayoutError


@pytest.fixture(scope="module")
def ntu(shared):
    return shared / "skeletons" / "original_samples" / "ntu_rgbd" / "My_demo" / "Skeleton Based Human Action" / "ntu_database_part"


def npz_sequence(shared, take):
    with np.load(shared / "skeletons" / "ntu60_p001.npz", allow_pickle=False) as d:
        i = list(d["takes"]).index(take)
        names = tuple(d["joint_names"])
        return d["joints"][d["offsets"][i]:d["offsets"][i + 1]].astype(np.float32), names, str(d["labels"][i])


def test_one_body(ntu, shared):
    (clip,) = read_ntu_skeleton(ntu / "S001C001P001R001A005.skeleton")
    assert clip.joints.shape == (54, 25, 3) and clip.present.all() and clip.fps == 30.0
    assert clip.joint_names == NTU_JOINTS and clip.label == "drop" and clip.subject == "P001"
    assert clip.meta["body_id"] == "72057594037931327" and clip.meta["tracking"].shape == (54, 25)
    assert clip.meta["depth_xy"].shape == (54, 25, 2) and clip.source.endswith("A005.skeleton")
    seq, names, label = npz_sequence(shared, "S001C001P001R001A005")
    assert names == NTU_JOINTS and label == clip.label  # the shared npz's own spelling of the layout
    np.testing.assert_allclose(clip.joints, seq, atol=2e-3)  # float16 in the npz


def test_bystander_is_not_the_performer(ntu, shared):
    path = ntu / "S001C001P001R001A024.skeleton"
    bodies = read_ntu_skeleton(path)
    assert [b.meta["body_id"] for b in bodies] == ["72057594037931768", "72057594037931781"]
    assert all(len(b) == 78 and b.present.all() for b in bodies)
    performer, bystander = bodies
    assert performer.joints[0, 0].tolist() == pytest.approx([0.2868106, 0.1681394, 3.734849])
    assert bystander.joints[:, :, 0].mean() > 1.9 and bystander.meta["spread"] > 0.8 > performer.meta["spread"]
    assert ntu_main_body(bodies) is performer and ntu_main_body(bodies[::-1]) is performer
    assert read_ntu_performer(path).meta["body_id"] == "72057594037931768"
    np.testing.assert_allclose(performer.joints, npz_sequence(shared, "S001C001P001R001A024")[0], atol=2e-3)


def test_two_people_keep_their_ids(ntu, shared):
    bodies = read_ntu_skeleton(ntu / "S001C001P001R001A058.skeleton")
    assert len(bodies) == 2 and bodies[0].label == "handshaking"
    assert bodies[0].meta["body_id"] != bodies[1].meta["body_id"]
    # the npz kept the first body; it is one of ours, frame for frame
    np.testing.assert_allclose(bodies[0].joints, npz_sequence(shared, "S001C001P001R001A058")[0], atol=2e-3)
    assert abs(bodies[0].joints[:, 0, 0].mean() - bodies[1].joints[:, 0, 0].mean()) > 0.5


@pytest.mark.parametrize("ending", [b"\r\n", b"\n"])
def test_line_endings(ntu, tmp_path, ending):
    original = (ntu / "S001C001P001R001A013.skeleton").read_bytes()
    assert b"\r" not in original
    path = tmp_path / "S001C001P001R001A013.skeleton"
    path.write_bytes(original.replace(b"\n", ending))
    (clip,) = read_ntu_skeleton(path)
    (reference,) = read_ntu_skeleton(ntu / "S001C001P001R001A013.skeleton")
    assert clip.joints.shape == (63, 25, 3) and clip.label == "tear up paper"
    np.testing.assert_array_equal(clip.joints, reference.joints)


def test_dropped_frame_and_late_body(tmp_path):
    joint = "0.1 0.2 3.0 1 2 3 4 0 0 0 0 2"
    body = "\n".join(["{id} 0 1 1 0 0 0 0 0 2", "25", *[joint] * 25])
    text = "\n".join(["3", "1", body.format(id=7), "0", "2", body.format(id=7), body.format(id=9)]) + "\n"
    path = tmp_path / "S002C003P004R002A061.skeleton"
    path.write_text(text)
    first, second = read_ntu_skeleton(path)
    assert first.present.tolist() == [True, False, True] and second.present.tolist() == [False, False, True]
    assert not first.joints[1].any() and first.label == "A061" and first.subject == "P004"
    assert first.meta["camera"] == 3 and first.meta["setup"] == 2 and first.meta["replication"] == 2
    assert ntu_main_body([second, first]) is first  # tracked in more frames


@pytest.mark.parametrize("edit, message", [
    (lambda lines: lines[:100], r"truncated: the file ends where a joint line"),
    (lambda lines: [lines[0], lines[1], lines[2], "20", *lines[4:]], r"expected 25 Kinect v2 joints, got 20"),
    (lambda lines: lines[:4] + [lines[4].replace("0.2868106", "abc")] + lines[5:], r"line 5: 'abc' is not a number"),
    (lambda lines: lines[:5] + [" ".join(lines[5].split()[:11])] + lines[6:], r"line 6: expected a joint line .*got 11"),
    (lambda lines: ["x7"] + lines[1:], r"the frame count 'x7' is not a whole number"),
    (lambda lines: lines + ["1"], r"unexpected data after the 78 frames"),
    (lambda lines: lines[:5] + ["0.1 nan 3 1 2 3 4 0 0 0 0 2"] + lines[6:], r"'nan' is not a finite number"),
])
def test_malformed_files(ntu, tmp_path, edit, message):
    lines = (ntu / "S001C001P001R001A024.skeleton").read_text().splitlines()
    path = tmp_path / "S001C001P001R001A024.skeleton"
    path.write_text("\n".join(edit(lines)) + "\n")
    with pytest.raises(DatasetLayoutError, match=message) as err:
        read_ntu_skeleton(path)
    assert str(path) in str(err.value)


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "S001C001P001R001A001.skeleton").write_bytes(b"")
    with pytest.raises(DatasetLayoutError, match="file is empty"):
        read_ntu_skeleton(tmp_path / "S001C001P001R001A001.skeleton")
    with pytest.raises(DatasetLayoutError, match="does not exist"):
        read_ntu_skeleton(tmp_path / "nope.skeleton")
    (tmp_path / "S001C001P001R001A002.skeleton").write_text("2\n0\n0\n")
    with pytest.raises(DatasetLayoutError, match="no body is tracked"):
        read_ntu_performer(tmp_path / "S001C001P001R001A002.skeleton")


def test_names():
    assert parse_ntu_name("S001C002P003R002A013") == {"setup": 1, "camera": 2, "performer": 3, "replication": 2, "action": 13}
    with pytest.raises(DatasetLayoutError, match="SsssCcccPpppRrrrAaaa"):
        parse_ntu_name("A013.skeleton")


def test_dataset_and_protocols(ntu, tmp_path):
    ds = get_dataset("ntu_rgbd", ntu.parents[1], protocol=None)
    assert len(ds) == 4 and ds.groups == ["P001"] * 4 and {s.kind for s in ds.samples} == {"ntu_skeleton"}
    assert [ds.classes[t] for t in ds.targets] == ["drop", "tear up paper", "kicking something", "handshaking"]
    assert len(ds.classes) == 60
    train, test = protocol_split("ntu_rgbd", ntu, 1)  # P001 trains in cross-subject
    assert len(train) == 4 and len(test) == 0
    train, test = protocol_split("ntu_rgbd", ntu, 2)  # camera 1 tests in cross-view
    assert len(train) == 0 and len(test) == 4
    for protocol in ("xsub", "xview"):  # train=None keeps both sides, as every skeleton dataset's does
        assert len(get_dataset("ntu_rgbd", ntu, train=None, protocol=protocol)) == 4
    assert "cross-view" in PROTOCOLS["ntu_rgbd"]
    with pytest.raises(DatasetLayoutError, match="split must be 1"):
        protocol_split("ntu_rgbd", ntu, 3)
    (tmp_path / "clip.skeleton").write_text("1\n0\n")
    with pytest.raises(DatasetLayoutError, match="not named SsssCcccPpppRrrrAaaa"):
        NTURGBD(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetLayoutError, match="holds no files named like"):
        NTURGBD(tmp_path / "empty")
    with pytest.raises(DatasetLayoutError, match="protocol must be"):
        NTURGBD(ntu, protocol="xset")
