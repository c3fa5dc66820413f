"""CustomFolder (class folders of videos or frame folders) and KeypointFolder."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from dataset_fixtures import touch, write_tiny_video

from posehar.datasets import CustomFolder, KeypointFolder
from posehar.errors import DatasetLayoutError


@pytest.fixture
def custom(tmp_path):
    write_tiny_video(tmp_path / "wave" / "alice_1.mp4")
    write_tiny_video(tmp_path / "wave" / "bob_1.avi")
    touch(tmp_path / "wave" / "notes.txt")
    frames = tmp_path / "clap" / "alice_2"
    for i in range(3):
        touch(frames / f"{i:04d}.png")
    touch(tmp_path / "clap" / "carol_1.MKV")
    (tmp_path / "clap" / "empty").mkdir()
    return tmp_path


def test_videos_and_frame_folders(custom):
    ds = CustomFolder(custom)
    assert ds.classes == ["clap", "wave"]
    assert [(s.source.name, s.label, s.group, s.kind) for s in ds] == [
        ("alice_2", "clap", "alice_2", "frames"),
        ("carol_1.MKV", "clap", "carol_1", "video"),
        ("alice_1.mp4", "wave", "alice_1", "video"),
        ("bob_1.avi", "wave", "bob_1", "video"),
    ]
    assert ds.targets == [0, 0, 1, 1]
    cap = cv2.VideoCapture(str(ds[2].source))
    assert cap.read()[0]
    cap.release()


def test_groups_file(custom, tmp_path_factory):
    groups = tmp_path_factory.mktemp("g") / "groups.csv"
    groups.write_text("relative_path,group\nwave/alice_1.mp4,alice\nclap/alice_2,alice\n"
                      "wave/bob_1.avi,bob\r\nclap\\carol_1.MKV, carol\n\n")
    assert CustomFolder(custom, groups_file=groups).groups == ["alice", "carol", "alice", "bob"]
    groups.write_text("wave/alice_1.mp4,alice\nclap/alice_2,alice\nwave/bob_1.avi,bob\n")
    with pytest.raises(DatasetLayoutError, match=r"does not list 1 clip\(s\), e.g. clap/carol_1.MKV"):
        CustomFolder(custom, groups_file=groups)
    groups.write_text(groups.read_text() + "clap/carol_1.MKV,carol\nwave/zed.mp4,zed\n")
    with pytest.raises(DatasetLayoutError, match=r"lists 1 path\(s\) that are not clips under .*wave/zed.mp4"):
        CustomFolder(custom, groups_file=groups)
    with pytest.raises(DatasetLayoutError, match="groups file .*missing.csv does not exist"):
        CustomFolder(custom, groups_file=groups.parent / "missing.csv")


def test_custom_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="custom dataset root .* does not exist"):
        CustomFolder(tmp_path / "nope")
    touch(tmp_path / "clip.mp4")
    with pytest.raises(DatasetLayoutError, match="has no class folders; found: clip.mp4"):
        CustomFolder(tmp_path)
    touch(tmp_path / "wave" / "readme.txt")
    with pytest.raises(DatasetLayoutError, match=r"class folder .*wave holds no videos \(.mp4 .avi"):
        CustomFolder(tmp_path)


def _batch(path, labels, subject=None):
    n = len(labels)
    np.savez(path, pose=np.random.default_rng(0).random((n, 5, 33, 4), dtype=np.float32), labels=np.array(labels))
    if subject:
        path.with_suffix(".json").write_text(json.dumps({"subject": subject}))


def test_keypoint_folder(tmp_path):
    _batch(tmp_path / "a.npz", ["wave", "clap", "wave"], subject="alice")
    _batch(tmp_path / "b.npz", ["clap"])
    ds = KeypointFolder(tmp_path)
    assert ds.classes == ["clap", "wave"] and ds.targets == [1, 0, 1, 0]
    assert [(s.source.name, s.group, s.kind, s.index) for s in ds] == [
        ("a.npz", "alice", "keypoints", 0), ("a.npz", "alice", "keypoints", 1),
        ("a.npz", "alice", "keypoints", 2), ("b.npz", "b", "keypoints", 0),
    ]
    seq = ds.sequence(2)
    assert seq.pose.shape == (5, 33, 4) and seq.label == "wave"


def test_keypoint_folder_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="holds no .npz files; found: nothing"):
        KeypointFolder(tmp_path)
    np.savez(tmp_path / "a.npz", pose=np.zeros((1, 2, 33, 4)))
    with pytest.raises(DatasetLayoutError, match=r"has no 'labels' array; found: pose"):
        KeypointFolder(tmp_path)
    np.savez(tmp_path / "a.npz", labels=np.array([{"x": 1}], dtype=object))
    with pytest.raises(DatasetLayoutError, match="is not a readable keypoint .npz file"):
        KeypointFolder(tmp_path)
    (tmp_path / "a.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetLayoutError, match="is not a readable keypoint .npz file"):
        KeypointFolder(tmp_path)


def test_real_gesture_keypoints(gestures):
    ds = KeypointFolder(gestures)
    assert len(ds) == 6630 and ds.classes == ["hello", "iloveyou", "thanks"]
    assert len(set(ds.groups)) == 72 and ds[0].group == "p01"
