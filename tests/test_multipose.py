"""Multi-person pose: the wheel-built PoseLandmarker bundle, the tracker's matching and thresholds,
and (slow) every person of the shared three-person clip found, tracked and classified."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import cv2
import numpy as np
import pytest

from posehar.errors import PoseModelError
from posehar.multipose import task_bundle
from posehar.multipose.finder import tiles
from posehar.multipose.tracker import (Track, TrackerConfig, centre_distance, drop_background, iou, keep_track,
                                       landmark_box, match, square_crop, stitch)


def _track(tid, frames, box):
    tr = Track(id=tid, box=np.asarray(box, float), landmarks=np.zeros((33, 4), np.float32), last_frame=frames[0])
    for f in frames:
        tr.found(f, np.zeros((33, 4), np.float32), np.asarray(box, float))
    return tr


# -- the .task bundle ---------------------------------------------------------------------------

def test_bundle_is_built_from_the_wheel_cached_and_checked(tmp_path):
    path = task_bundle.pose_task_bundle(tmp_path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        for name in zf.namelist():
            assert b"TFL3" in zf.read(name)  # metadata added
    assert task_bundle.pose_task_bundle(tmp_path) == path  # cached: same file, not rebuilt
    mtime = path.stat().st_mtime_ns
    assert task_bundle.pose_task_bundle(tmp_path).stat().st_mtime_ns == mtime
    path.write_bytes(b"not a zip")  # a damaged cache is rebuilt
    with pytest.raises(PoseModelError):
        task_bundle.check_bundle(path)
    assert task_bundle.pose_task_bundle(tmp_path) == path
    task_bundle.check_bundle(path)


def test_bundle_needs_the_wheel_models(tmp_path, monkeypatch):
    import mediapipe

    (tmp_path / "modules" / "pose_detection").mkdir(parents=True)
    monkeypatch.setattr(mediapipe, "__file__", str(tmp_path / "__init__.py"))
    with pytest.raises(PoseModelError, match="pose_detection.tflite.*mediapipe==0.10.21"):
        task_bundle.pose_task_bundle(tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


# -- tracker --------------------------------------------------------------------------------------

def test_iou_and_distance():
    a = np.array([[0, 0, 10, 10]])
    assert iou(a, np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])).round(3).tolist() == [[1.0, 0.333, 0.0]]
    assert centre_distance(a, np.array([[0, 10, 10, 20]]))[0, 0] == pytest.approx(1.0)


def test_assignment_keeps_ids_when_people_cross():
    # Two people walking towards each other: at every step each track must take the detection nearest
    # its own last box, even when the boxes overlap, so the ids do not swap.
    # Boxes alone are ambiguous where they overlap; the tracks' constant-velocity prediction is not.
    cfg = TrackerConfig()
    a = _track(1, [0], [0, 0, 40, 100])
    b = _track(2, [0], [100, 0, 140, 100])
    for step in range(1, 14):
        new_a, new_b = a.box + [8, 0, 8, 0], b.box - [8, 0, 8, 0]
        dets = np.stack([new_b, new_a])  # detections in arbitrary order
        pairs = dict(match(np.stack([a.predicted(step), b.predicted(step)]), dets, cfg))
        assert pairs == {0: 1, 1: 0}, step
        a.found(step, a.landmarks, new_a)
        b.found(step, b.landmarks, new_b)
    assert a.box[0] > b.box[0]  # they have crossed, ids kept
    far = np.array([[500.0, 500, 540, 600]])
    assert match(np.stack([a.box, b.box]), far, cfg) == []  # outside the gates: a new person


def test_stitch_joins_fragments_and_keeps_the_first_id():
    cfg = TrackerConfig()
    a = _track(1, range(0, 20), [0, 0, 40, 100])
    b = _track(5, range(25, 60), [4, 0, 44, 100])        # starts near where a ended
    c = _track(2, range(0, 60), [300, 0, 340, 100])      # another person all along
    d = _track(7, range(30, 40), [304, 0, 344, 100])     # overlaps c in time: never merged into it
    out = stitch([a, b, c, d], cfg)
    assert [(t.id, t.frames) for t in out] == [(1, 55), (2, 60), (7, 10)]
    late = _track(9, range(60 + cfg.stitch_gap + 1, 200), [0, 0, 40, 100])
    assert len(stitch([_track(1, range(0, 60), [0, 0, 40, 100]), late], cfg)) == 2  # gap too long


def test_short_and_small_tracks_are_dropped():
    cfg = TrackerConfig(min_seconds=1.0, min_height=0.08)
    assert keep_track(_track(1, range(30), [0, 0, 40, 100]), cfg, fps=30, frame_height=480)
    assert not keep_track(_track(1, range(29), [0, 0, 40, 100]), cfg, fps=30, frame_height=480)   # < 1 s
    assert not keep_track(_track(1, range(60), [0, 0, 10, 30]), cfg, fps=30, frame_height=480)    # 30 px < 8 %


def test_tracks_far_smaller_than_the_tallest_are_dropped():
    cfg = TrackerConfig()
    assert cfg.min_relative_height == 0.5
    front = _track(1, range(30), [0, 0, 100, 200])
    near = _track(2, range(30), [120, 0, 200, 101])       # 0.505 of the tallest: kept
    back = _track(3, range(30), [220, 0, 260, 99])        # 0.495: background, dropped
    assert [t.id for t in drop_background([front, near, back], cfg)] == [1, 2]
    assert len(drop_background([front, near, back], TrackerConfig(min_relative_height=0))) == 3
    assert drop_background([], cfg) == []


def test_tiles_cover_the_frame_and_crops_stay_inside():
    for size in [(384, 288), (340, 256), (1920, 1080)]:
        covered = np.zeros(size[::-1], bool)
        for x, y, side in tiles(size, 0.6):
            assert x >= 0 and y >= 0 and x + side <= size[0] and y + side <= size[1]
            covered[y:y + side, x:x + side] = True
        assert covered.all()
        crop = square_crop(np.array([size[0] - 20, 5, size[0] + 10, 60.0]), 1.5, size)
        assert crop[0] >= 0 and crop[1] >= 0 and crop[2] <= size[0] and crop[3] <= size[1]
    lm = np.zeros((33, 4), np.float32)
    lm[:, 0], lm[:, 1], lm[:, 3] = np.linspace(0.2, 0.4, 33), np.linspace(0.1, 0.9, 33), 1.0
    assert landmark_box(lm, (100, 200)).round(1).tolist() == [20.0, 20.0, 40.0, 180.0]


# -- real clips -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def three_people(videos):
    from posehar.multipose.people import extract_people

    return extract_people(videos / "exercise_three_people.avi")


@pytest.mark.slow
def test_three_people_each_found_in_80_percent_with_stable_ids(three_people):
    found = three_people
    assert found.frames_read == 393
    assert len(found.people) == 3
    lanes = []
    for person in found.people:
        seq = person.keypoints
        assert seq.layout == "mediapipe_pose" and seq.left_hand is None and len(seq) == 393
        assert person.frames == int(seq.pose_present.sum()) >= 0.8 * 393
        # A stable id: the person's box centre never jumps by half a body height between found frames
        # (a swap to a neighbour 80+ px away would), and stays in its own lane of the frame.
        rows = np.flatnonzero(seq.pose_present)
        centres = np.array([(landmark_box(seq.pose[r], seq.frame_size)[[0, 2]].mean()) for r in rows])
        heights = np.array([np.ptp(landmark_box(seq.pose[r], seq.frame_size)[[1, 3]]) for r in rows])
        assert (np.abs(np.diff(centres)) < 0.5 * heights[1:]).all()
        lanes.append((centres.min(), centres.max()))
    lanes.sort()
    assert all(a[1] < b[0] for a, b in zip(lanes, lanes[1:]))  # the three lanes never overlap: no id swap


@pytest.mark.slow
def test_predict_people_all_json_overlay_and_sheet(videos, tmp_path):
    out = tmp_path / "o.mp4"
    sheet = tmp_path / "s.png"
    r = subprocess.run([sys.executable, "-m", "posehar", "predict", videos / "exercise_three_people.avi", "--people",
                        "all", "--max-frames", "45", "--stride", "2", "--json", "--overlay", out, "--sheet", sheet],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["frames_read"] == 45
    assert [p["id"] for p in d["people"]] == [1, 2, 3]
    for p in d["people"]:
        assert set(p) >= {"id", "frames", "box", "label", "probabilities", "timeline"}
        assert p["frames"] >= 36 and len(p["box"]) == 4
        assert sum(p["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 89  # the frames read: 45 at stride 2, the last frame 88
    cap.set(cv2.CAP_PROP_POS_FRAMES, 40)
    ok, frame = cap.read()
    assert ok
    # each person's own colour is drawn (green, blue-ish, orange-ish; mp4v blurs them a little)
    from posehar.multipose.people import person_colour

    for pid in (1, 2, 3):
        colour = np.array(person_colour(pid), int)
        assert (np.abs(frame.astype(int) - colour).max(axis=2) < 60).sum() > 30, pid
    assert cv2.imread(str(sheet)) is not None


@pytest.mark.slow
def test_arm_wrestling_gives_two_tracks(videos):
    from posehar.multipose.people import extract_people

    found = extract_people(videos / "arm_wrestling.mp4")
    assert found.frames_read == 280
    assert len(found.people) == 2
    heights = [p.box[3] - p.box[1] for p in found.people]
    assert min(heights) >= TrackerConfig().min_relative_height * max(heights)


@pytest.mark.slow
def test_nobody_gives_the_usual_no_person_result(tmp_path):
    from posehar.predict import predict_action

    video = tmp_path / "empty.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for i in range(12):
        writer.write(np.full((120, 160, 3), 40 + 10 * i, np.uint8))
    writer.release()
    result = predict_action(video, people="all")
    assert result.label == "no person" and result.frames_read == 12 and result.people == []
    strided = predict_action(video, people="all", stride=2)  # the frames read are the video's 0, 2, ..., 10
    assert strided.frames_read == 6 and strided.keypoints.frame_indices.tolist() == [0, 2, 4, 6, 8, 10]


def test_one_person_with_people_all_is_a_people_result_too(videos):
    """The README's `predict_action(v, people="all").people` works whatever the number of people."""
    from posehar.multipose.people import PeoplePrediction
    from posehar.predict import predict_action

    result = predict_action(videos / "seed_test_7.mp4", people="all")
    assert isinstance(result, PeoplePrediction) and len(result.people) == 1
    person = result.people[0]
    assert (result.label, result.confidence) == (person.label, person.confidence) and person.label == "kick"
    assert json.loads(result.to_json())["people"][0]["id"] == 1
