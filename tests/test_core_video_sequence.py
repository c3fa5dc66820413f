"""Video reading, the KeypointSequence type and its files, on real data."""

from __future__ import annotations

import numpy as np
import pytest

from posehar.errors import KeypointFormatError, VideoError
from posehar.sequence import KeypointSequence, load_batch, load_folder
from posehar.video import VideoReader, probe_video


def test_probe_and_stream_real_clip(videos):
    info = probe_video(videos / "seed_test_8.mp4")
    assert (info.width, info.height, round(info.fps)) == (640, 480, 25)
    reader = VideoReader(videos / "seed_test_8.mp4")
    shapes = {frame.shape for _, frame in reader}
    assert reader.frames_read == 57 and shapes == {(480, 640, 3)}


def test_stride_and_max_frames(videos):
    rows = [i for i, _ in VideoReader(videos / "seed_test_8.mp4", stride=5, max_frames=4)]
    assert rows == [0, 5, 10, 15]
    for stride, cap in ((1, None), (2, None), (5, 4), (1, 100)):  # 57 frames: progress bars know how many come
        reader = VideoReader(videos / "seed_test_8.mp4", stride=stride, max_frames=cap)
        assert reader.expected_frames == sum(1 for _ in reader) == min(-(-57 // stride), cap or 57)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.mp4", "not found"),
    (lambda p: p, "directory"),
    (lambda p: _write(p / "empty.mp4", b""), "0 bytes"),
    (lambda p: _write(p / "text.mp4", b"not a video\n" * 50), "cannot decode|decodes no frames"),
])
def test_bad_video_paths(tmp_path, make, message):
    with pytest.raises(VideoError, match=message):
        list(VideoReader(make(tmp_path)))


def test_truncated_video_is_reported(tmp_path, videos):
    data = (videos / "seed_test_8.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 10])
    with pytest.raises(VideoError):
        list(VideoReader(cut))


def test_shared_batch_files_load(gestures):
    batch = load_batch(gestures / "p48.npz")
    assert len(batch) == 90 and {s.label for s in batch} == {"hello", "iloveyou", "thanks"}
    s = batch[0]
    assert s.pose.shape == (30, 33, 4) and s.left_hand.shape == (30, 21, 3)
    assert s.meta["license"] == "MIT" and s.meta["subject"] == "p48"
    # presence comes from the zeros: an undetected hand is never a real coordinate
    assert np.all(s.left_present == (np.abs(s.left_hand).sum((1, 2)) > 0))


def test_folder_groups_are_people(gestures):
    X, y, groups = load_folder(gestures)
    assert len(X) == len(y) == len(groups) == 6630
    assert len(set(groups)) == 72


def test_save_load_round_trip_without_pickle(tmp_path, gestures):
    s = load_batch(gestures / "p55.npz")[3]
    s.frame_size = (640, 480)
    path = s.save(tmp_path / "seq.npz")
    with np.load(path, allow_pickle=False) as data:  # would raise if anything needed pickle
        assert {"pose", "left_hand", "posehar_meta"} <= set(data.files)
    back = KeypointSequence.load(path)
    assert np.array_equal(back.pose, s.pose) and np.array_equal(back.right_present, s.right_present)
    assert (back.label, back.frame_size, back.meta["subject"]) == (s.label, (640, 480), "p55")
    assert not list(tmp_path.glob(".*tmp"))


def test_unknown_layout_and_garbage_files(tmp_path):
    np.savez(tmp_path / "weird.npz", pose=np.zeros((4, 10, 17, 3), np.float32), labels=np.array(["a"] * 4))
    with pytest.raises(KeypointFormatError, match="unknown keypoint layout"):
        load_batch(tmp_path / "weird.npz")
    (tmp_path / "junk.npz").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(KeypointFormatError, match="not a readable"):
        KeypointSequence.load(tmp_path / "junk.npz")
    with pytest.raises(KeypointFormatError, match="shape"):
        KeypointSequence(pose=np.zeros((5, 17, 3)))


def test_object_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "obj.npz", pose=np.array([object()], dtype=object))
    with pytest.raises(KeypointFormatError):
        KeypointSequence.load(tmp_path / "obj.npz")
