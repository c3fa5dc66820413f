"""MSRC-12 csv + tagstream reader and dataset, on the real sample files (../shared/data)."""

from __future__ import annotations

import numpy as np
import pytest

from posehar.datasets import MSRC12, read_msrc12, read_msrc12_window, read_skeleton_sample
from posehar.datasets.msrc12 import MSRC12_GESTURES, read_msrc12_csv, read_tagstream, windows
from posehar.datasets.protocols import protocol_split
from posehar.layouts import KINECT_V1_JOINTS
from posehar.errors import DatasetLayoutError


@pytest.fixture(scope="module")
def data(shared):
    return shared / "skeletons" / "original_samples" / "msrc12" / "MicrosoftGestureDataset-RC" / "data"


@pytest.fixture(scope="module")
def npz(shared):
    with np.load(shared / "skeletons" / "msrc12.npz", allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def test_raw_rows_and_action_points(data):
    times, joints = read_msrc12_csv(data / "P2_2_2_p05.csv")
    assert joints.shape == (539, 20, 3) and not joints[:20].any() and joints[20].all()
    assert np.median(np.diff(times[20:])) == pytest.approx(33_100, rel=0.02)  # µs, 30 fps
    points = read_tagstream(data / "P2_2_2_p05.tagstream")
    assert len(points) == 10 and {tag for _, tag in points} == {"G2 Duck"}
    # the official mapping: frames 79, 121, 164, 206 of the file for the first points
    assert [int(np.argmin(np.abs(times - t))) for t, _ in points[:4]] == [79, 121, 164, 206]


def test_windows_reproduce_the_shared_npz(data, npz):
    takes = list(npz["takes"])
    assert tuple(npz["joint_names"]) == KINECT_V1_JOINTS
    exact = 0
    for stem in ("P2_2_2_p05", "P3_1_12_p01"):
        clips = read_msrc12(data / f"{stem}.csv")
        assert len(clips) == 10 and all(c.fps == 15.0 and c.subject == stem[-3:] for c in clips)
        for clip in clips:
            i = takes.index(clip.meta["take"])
            seq = npz["joints"][npz["offsets"][i]:npz["offsets"][i + 1]].astype(np.float32)
            assert clip.label == npz["labels"][i] and clip.meta["ap_offset"] == npz["ap_offset"][i]
            n = min(len(seq), len(clip))
            np.testing.assert_allclose(clip.joints[:n], seq[:n], atol=2e-3)
            exact += len(seq) == len(clip)
    assert exact == 19  # the last window of P3_1_12_p01 is cut 3 frames shorter in the npz
    duck = read_msrc12(data / "P2_2_2_p05.csv")
    assert duck[0].label == "G2 duck (crouch or hide)" and duck[0].meta["ap_index"] == 59  # 79 - 20 zero rows
    assert duck[0].meta["instructions"] == "P2_2"


def test_full_rate_windows(data):
    clips = read_msrc12(data / "P3_1_12_p01.csv", step=1)
    # first action point at frame 60 (after the 20 leading zero rows), the next at 113: frames [15, 87)
    assert clips[0].fps == 30.0 and clips[0].meta["ap_index"] == 60 and len(clips[0]) == 72
    assert clips[0].joints[clips[0].meta["ap_offset"]].tolist() == read_msrc12_csv(data / "P3_1_12_p01.csv")[1][
        20 + clips[0].meta["ap_index"]].tolist()
    assert read_msrc12_window(data / "P3_1_12_p01.csv", 3, step=1).meta["take"] == "P3_1_12_p01_ap03"


def test_all_zero_recording(data):
    times, joints = read_msrc12_csv(data / "P1_1_12A_p19.csv")
    assert joints.shape == (1029, 20, 3) and not joints.any()
    assert len(read_tagstream(data / "P1_1_12A_p19.tagstream")) == 10
    assert read_msrc12(data / "P1_1_12A_p19.csv") == []  # never tracked: nothing to cut
    with pytest.raises(DatasetLayoutError, match="action point 0 has no tracked skeleton"):
        read_msrc12_window(data / "P1_1_12A_p19.csv", 0)


def test_window_rule():
    assert windows([59, 101, 144], 500) == [(14, 80), (80, 123), (123, 190)]
    assert windows([10], 30) == [(0, 30)]


@pytest.mark.parametrize("row, message", [
    ("1 2 3", r"row 2: expected 81 values \(time \+ 20 joints x 4\), got 3"),
    ("15797707284 " + "0 " * 79 + "x", r"row 2: 'x' is not a number"),
])
def test_bad_csv(tmp_path, row, message):
    good = "15797707284 " + " ".join(["0.5"] * 80)
    (tmp_path / "P1_1_1_p01.csv").write_text(f"{good}\r\n{row}\r\n")
    with pytest.raises(DatasetLayoutError, match=message):
        read_msrc12_csv(tmp_path / "P1_1_1_p01.csv")


def test_bad_files(tmp_path, data):
    (tmp_path / "P1_1_1_p01.csv").write_text("")
    with pytest.raises(DatasetLayoutError, match="P1_1_1_p01.csv: the MSRC-12 .csv file is empty"):
        read_msrc12_csv(tmp_path / "P1_1_1_p01.csv")
    (tmp_path / "P1_1_1_p01.csv").write_bytes((data / "P2_2_2_p05.csv").read_bytes())
    with pytest.raises(DatasetLayoutError, match="no P1_1_1_p01.tagstream beside it"):
        read_msrc12(tmp_path / "P1_1_1_p01.csv")
    (tmp_path / "p1_1_1_p01.tagstream").write_text("Tick,Tag\n1;G1 Lift\n")
    with pytest.raises(DatasetLayoutError, match="first line must be 'XQPCTick;Tag'"):
        read_msrc12(tmp_path / "P1_1_1_p01.csv")  # found ignoring case
    (tmp_path / "p1_1_1_p01.tagstream").write_text("XQPCTick;Tag\r\n788045092075;Duck\r\n")
    with pytest.raises(DatasetLayoutError, match=r"line 2: expected '<tick>;G<n> <name>'"):
        read_tagstream(tmp_path / "p1_1_1_p01.tagstream")
    (tmp_path / "p1_1_1_p01.tagstream").write_text("XQPCTick;Tag\r\n788045092075;G13 Jump\r\n")
    with pytest.raises(DatasetLayoutError, match="G13 Jump' is not one of G1-G12"):
        read_msrc12(tmp_path / "P1_1_1_p01.csv")
    (tmp_path / "gesture.csv").write_bytes(b"1 2\n")
    with pytest.raises(DatasetLayoutError, match="does not follow P<a>_<b>_<gesture>"):
        read_msrc12(tmp_path / "gesture.csv")


def test_dataset(data):
    every = MSRC12(data, train=None)
    assert len(every) == 20 and every.untracked == [data / "P1_1_12A_p19.csv"]
    assert sorted(set(every.groups)) == ["p01", "p05"] and every.classes == list(MSRC12_GESTURES)
    assert [s.index for s in every.samples if s.group == "p05"] == list(range(10))
    train, test = protocol_split("msrc12", data.parent, 1)
    assert set(train.groups).isdisjoint(test.groups) and len(train) + len(test) == 20
    clip = read_skeleton_sample(every[3])
    assert clip.meta["take"] == f"{every[3].source.stem}_ap03" and clip.label == every[3].label
    with pytest.raises(DatasetLayoutError, match="fold must be 1-5"):
        MSRC12(data, fold=6)
