"""G3D: skeleton XML reader, distributed sequence folders, pre-cut action folders."""

from __future__ import annotations

import numpy as np
import pytest
from dataset_fixtures import fake_pose, make_g3d, make_g3d_sequence, skeleton_xml, touch

from posehar.datasets import G3D, read_g3d_skeleton_folder
from posehar.datasets.g3d import ACTIONS, CATEGORIES, parse_skeleton_xml, sequence_info
from posehar.errors import DatasetLayoutError
from posehar.layouts import KINECT_V1

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<ArrayOfSkeleton>&lol2;</ArrayOfSkeleton>"""


@pytest.fixture(scope="module")
def g3d(tmp_path_factory):
    return make_g3d(tmp_path_factory.mktemp("g3d"), actors=(1, 5, 6, 10))


def test_read_skeleton_folder(tmp_path):
    make_g3d_sequence(tmp_path / "KinectOutput22", frames=(10, 2, 1, 30), untracked=(2,))
    seq = read_g3d_skeleton_folder(tmp_path / "KinectOutput22")
    assert seq.layout == "kinect_v1" and seq.pose.shape == (4, 20, 3) and seq.pose.dtype == np.float32
    assert seq.frame_indices.tolist() == [1, 2, 10, 30]  # numeric, not text, order
    assert seq.pose_present.tolist() == [True, False, True, True]
    np.testing.assert_array_equal(seq.pose[0], fake_pose(1))
    np.testing.assert_array_equal(seq.pose[3], fake_pose(30))
    assert not seq.pose[1].any() and seq.fps == 30.0 and seq.frame_size == (640, 480)
    assert read_g3d_skeleton_folder(tmp_path / "KinectOutput22" / "Skeleton").pose.shape == (4, 20, 3)


def test_joints_placed_by_joint_type():
    pose = fake_pose(0)
    lines = skeleton_xml(pose).splitlines()
    joints = [i for i, line in enumerate(lines) if "<Joint>" in line]
    block = [lines[i] for i in joints]
    for i, line in zip(joints, reversed(block)):  # same joints, reversed document order
        lines[i] = line
    np.testing.assert_array_equal(parse_skeleton_xml("\n".join(lines).encode()), pose)


def test_attribute_form_in_document_order():
    xml = "<Skeleton>" + "".join(f'<Joint x="{i}" y="{-i}" z="2.5"/>' for i in range(20)) + "</Skeleton>"
    pose = parse_skeleton_xml(xml.encode())
    assert pose[:, 0].tolist() == list(range(20)) and (pose[:, 2] == 2.5).all()
    joints = reversed(list(enumerate(KINECT_V1.joints)))
    named = "<Skeleton>" + "".join(f'<Joint name="{n}"><Position X="{i}" Y="0" Z="1"/></Joint>' for i, n in joints)
    named += "</Skeleton>"
    assert parse_skeleton_xml(named.encode())[:, 0].tolist() == list(range(20))


def test_untracked_frame_is_none_and_bad_files_raise():
    assert parse_skeleton_xml(skeleton_xml(None).encode()) is None
    with pytest.raises(DatasetLayoutError, match="DOCTYPE or ENTITY declarations is refused"):
        parse_skeleton_xml(BILLION_LAUGHS)
    with pytest.raises(DatasetLayoutError, match="is not well-formed XML"):
        parse_skeleton_xml(b"<ArrayOfSkeleton><Skeleton>")
    with pytest.raises(DatasetLayoutError, match="expected 20 Kinect v1 joints, found 1"):
        parse_skeleton_xml(b'<Skeleton><Joint x="1" y="2" z="3"/></Skeleton>')
    with pytest.raises(DatasetLayoutError, match="is not finite"):
        parse_skeleton_xml(skeleton_xml(fake_pose(0)).replace("<X>0.375</X>", "<X>NaN</X>").encode())
    with pytest.raises(DatasetLayoutError, match="not the 20 Kinect v1 joints"):
        parse_skeleton_xml(skeleton_xml(fake_pose(0)).replace(">Head<", ">Tail<").encode())


def test_skeleton_folder_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="does not exist"):
        read_g3d_skeleton_folder(tmp_path / "nope")
    with pytest.raises(DatasetLayoutError, match=r"holds no 'Skeleton <n>.xml' files"):
        read_g3d_skeleton_folder(tmp_path)
    touch(tmp_path / "Skeleton" / "Skeleton 1.xml").write_bytes(BILLION_LAUGHS)
    with pytest.raises(DatasetLayoutError, match=r"Skeleton 1.xml: XML with DOCTYPE"):
        read_g3d_skeleton_folder(tmp_path)


def test_sequence_numbers():
    assert sequence_info(22) == (1, "Fighting", 1)
    assert sequence_info(42) == (1, "Misc", 3)
    assert sequence_info(182) == (8, "FPS", 2)
    assert sequence_info(214) == (10, "Fighting", 1)
    with pytest.raises(DatasetLayoutError, match="22-210 and 214-234, got KinectOutput212"):
        sequence_info(212)


def test_sequences_cross_actor(g3d):
    train, test = G3D(g3d), G3D(g3d, train=False)
    assert train.classes == list(CATEGORIES)
    assert set(train.groups) == {"actor01", "actor05"} and set(test.groups) == {"actor06", "actor10"}
    assert len(train) == 20 + 21 and len(test) == 21 + 21  # sequence 33 (actor 1) is missing
    s = train[0]
    assert s.kind == "kinect_skeleton" and s.source.name == "Skeleton" and s.label == "Fighting"
    assert s.source.parent.name == "KinectOutput22" and read_g3d_skeleton_folder(s.source).pose.shape == (1, 20, 3)
    colour = G3D(g3d, modality="colour", train_actors=[10], test_actors=[1])
    assert colour[0].kind == "frames" and colour[0].source.name == "Colour" and set(colour.groups) == {"actor10"}


def test_precut_action_folders(tmp_path):
    for action, sample in (("punch_right", "actor1_take1"), ("Punch Left", "KinectOutput64_0"),
                           ("clap", "subject07")):
        folder = tmp_path / action / sample
        folder.mkdir(parents=True)
        touch(folder / "Colour 1.png")
    train, test = G3D(tmp_path), G3D(tmp_path, train=False)
    assert train.classes == list(ACTIONS)
    assert [(s.label, s.group, s.kind) for s in train] == [("punch_left", "actor03", "frames"),
                                                           ("punch_right", "actor01", "frames")]
    assert [(s.label, s.group) for s in test] == [("clap", "actor07")]
    assert train[1].source == tmp_path / "punch_right" / "actor1_take1"
    with pytest.raises(DatasetLayoutError, match=r"2 of 3 samples have no Skeleton/ XML files"):
        touch(tmp_path / "clap" / "subject07" / "Skeleton 1.xml")
        G3D(tmp_path, modality="skeleton")


def test_g3d_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="modality must be one of auto, skeleton, colour"):
        G3D(tmp_path, modality="depth")
    with pytest.raises(DatasetLayoutError, match="must be disjoint, non-empty sets of actors 1-10"):
        G3D(tmp_path, train_actors=[1, 2], test_actors=[2, 3])
    (tmp_path / "stuff").mkdir()
    with pytest.raises(DatasetLayoutError, match=r"neither action folders like punch_right/, .* nor actor folders 1-10 of json_frames; found: stuff"):
        G3D(tmp_path)
    (tmp_path / "wave" / "take1").mkdir(parents=True)
    with pytest.raises(DatasetLayoutError, match=r"mixes action folders with others: stuff"):
        G3D(tmp_path)
    (tmp_path / "stuff").rmdir()
    with pytest.raises(DatasetLayoutError, match=r"1 sample folder\(s\) do not name their actor .*wave/take1"):
        G3D(tmp_path)


# --- real G3D files (../shared/data/skeletons/original_samples/g3d)

@pytest.fixture(scope="module")
def g3d_samples(shared):
    return shared / "skeletons" / "original_samples" / "g3d"


def test_real_skeleton_xml(g3d_samples):
    """An original frame file: 6 .NET slots, slot 2 tracked; the others have zero positions."""
    pose = parse_skeleton_xml((g3d_samples / "Skeleton 113.xml").read_bytes(), "Skeleton 113.xml")
    assert pose.shape == (20, 3)
    assert pose[0].tolist() == pytest.approx([-0.0172204543, -0.05478927, 2.8189964])  # HipCenter
    assert pose[3, 1] > pose[2, 1] > pose[0, 1] and 2.5 < pose[:, 2].mean() < 3.1  # head up, ~2.8 m away


def test_json_frames(g3d_samples):
    from posehar.datasets import read_g3d_json_frames
    from posehar.layouts import KINECT_V1_JOINTS

    clip = read_g3d_json_frames(g3d_samples / "json_frames" / "1" / "PunchRight" / "0.json")
    assert clip.joints.shape == (50, 20, 3) and clip.joint_names == KINECT_V1_JOINTS and clip.fps == 30.0
    assert clip.label == "PunchRight" and clip.subject == "actor01" and clip.meta["people"] == 1
    assert clip.present.all() and clip.joints[0, 3, 2] == pytest.approx(2.8636687)  # Head z, from the string
    wave = read_g3d_json_frames(g3d_samples / "json_frames" / "1" / "Wave" / "1416.json")
    assert len(wave) == 9 and wave.joints[0, 0].tolist() == pytest.approx([-0.03888358, -0.06333044, 2.820645])
    kick = read_g3d_json_frames(g3d_samples / "json_frames" / "1" / "KickLeft" / "3.json")
    assert len(kick) == 40 and kick.label == "KickLeft"
    feet = np.ptp(kick.joints, axis=0).sum(axis=1)
    assert feet[KINECT_V1_JOINTS.index("FootLeft")] > feet[KINECT_V1_JOINTS.index("FootRight")]


def test_json_frames_dataset(g3d_samples):
    from posehar.datasets import read_skeleton_sample

    ds = G3D(g3d_samples / "json_frames", train=True)
    assert ds.classes == ["KickLeft", "PunchRight", "Wave"] and ds.groups == ["actor01"] * 3
    assert {s.kind for s in ds.samples} == {"g3d_json"} and len(G3D(g3d_samples / "json_frames", train=False)) == 0
    assert [len(read_skeleton_sample(s)) for s in ds.samples] == [40, 50, 9]
    assert len(G3D(g3d_samples / "json_frames", train=None)) == 3  # both sides: actor 1 trains
    above = G3D(g3d_samples, train=True)  # the folder holding json_frames/, as the form is distributed
    assert [(s.source, s.label) for s in above.samples] == [(s.source, s.label) for s in ds.samples]


def test_json_frames_bad_files(tmp_path, g3d_samples):
    import json

    from posehar.datasets import read_g3d_json_frames

    frames = json.loads((g3d_samples / "json_frames" / "1" / "Wave" / "1416.json").read_text())
    folder = tmp_path / "3" / "Wave"
    folder.mkdir(parents=True)
    path = folder / "7.json"
    cases = [
        ([], "expected a non-empty JSON list of frames, got an empty list"),
        ([frames[0][:19]], "frame 0: expected 20 joints per person, got 19"),
        ([frames[0][:19] + [{"x": "1", "y": "2"}]], r"frame 0 joint 19: expected \{x, y, z\}"),
        ([[{**j, "x": "abc"} for j in frames[0]]], "frame 0 joint 0: 'abc' is not a number"),
        ({"frames": frames}, "got dict"),
    ]
    for content, message in cases:
        path.write_text(json.dumps(content))
        with pytest.raises(DatasetLayoutError, match=message):
            read_g3d_json_frames(path)
    path.write_text(json.dumps([f + f for f in frames]))  # two tracked people: 40 entries
    two = read_g3d_json_frames(path)
    assert two.joints.shape == (9, 20, 3) and two.meta["people"] == 2 and two.subject == "actor03"
    path.write_text("[[{")
    with pytest.raises(DatasetLayoutError, match="not valid JSON"):
        read_g3d_json_frames(path)
    (tmp_path / "11").mkdir()
    with pytest.raises(DatasetLayoutError, match="is not one of 1-10"):
        G3D(tmp_path)
