"""predict_action, timelines and overlays on real clips with a real (tiny) model."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from posehar import predict_action
from posehar.overlay import contact_sheet, write_overlay
from posehar.prediction import NO_PERSON, predict_sequence, save_timeline
from posehar.sequence import KeypointSequence, load_batch


@pytest.fixture(scope="module")
def result(tiny_model, videos):
    return predict_action(videos / "seed_test_8.mp4", model=tiny_model, top_k=2)


def test_prediction_fields(result):
    assert result.label in result.probabilities or result.label == "unknown"
    assert set(result.probabilities) == {"hello", "iloveyou", "thanks"}
    assert sum(result.probabilities.values()) == pytest.approx(1.0)
    assert len(result.top_k) == 2 and result.top_k[0][1] >= result.top_k[1][1]
    assert result.frames_read == 57 and result.person_fraction == 1.0
    keypoints = result.keypoints
    d = json.loads(result.to_json())
    assert d["frames_read"] == 57 and "keypoints" not in d
    assert result.keypoints is keypoints and len(keypoints) == 57  # left out of the report, not taken away


def test_timeline_covers_long_input(result, tmp_path):
    # 57 frames at 25 fps = 68 frames at the model's 30 fps: more than one 30-frame window
    assert result.timeline and result.timeline[0].start_frame == 0
    assert result.timeline[-1].end_frame == 57
    ends = [s.end_frame for s in result.timeline]
    assert ends == sorted(ends)
    csv = save_timeline(result, tmp_path / "t.csv").read_text().splitlines()
    assert csv[0].startswith("start_s") and len(csv) == len(result.timeline) + 1
    assert save_timeline(result, tmp_path / "t.png").stat().st_size > 1000
    assert save_timeline(result, tmp_path / "T.CSV").read_text().splitlines() == csv  # the suffix in any case


def repeated(seq: KeypointSequence, frames: int, source: str) -> KeypointSequence:
    """``seq`` played over and over for ``frames`` frames, the person in every one."""
    tile = lambda a: np.tile(a, (-(-frames // len(seq)), 1, 1))[:frames]  # noqa: E731
    return KeypointSequence(pose=tile(seq.pose), left_hand=tile(seq.left_hand), right_hand=tile(seq.right_hand),
                            fps=seq.fps, source=source)


def test_no_person_is_a_clear_result(tiny_model):
    seq = KeypointSequence(pose=np.zeros((40, 33, 4), np.float32), left_hand=np.zeros((40, 21, 3)),
                           right_hand=np.zeros((40, 21, 3)), source="blank")
    r = predict_sequence(seq, tiny_model)
    assert r.label == NO_PERSON and r.no_person and r.probabilities == {} and r.person_fraction == 0.0


def test_a_person_glimpsed_in_a_few_frames_is_no_person_overall_as_in_the_timeline(tiny_model, gestures):
    """A person in 2 of 150 frames: no window has them in half its frames, so no action is named."""
    long = repeated(load_batch(gestures / "p48.npz")[0], 150, "glimpse")
    long.pose_present[:] = False
    long.pose_present[[70, 71]] = True
    r = predict_sequence(long, tiny_model)
    assert r.label == NO_PERSON and r.probabilities == {} and r.person_fraction == pytest.approx(2 / 150)
    long.pose_present[:] = True  # the same frames with the person in every one are read
    assert predict_sequence(long, tiny_model).label != NO_PERSON


def test_a_stretch_with_nobody_has_no_confidence_in_the_timeline(tiny_model, gestures):
    """The first half has the person, the second nobody: the 'no person' segment claims no confidence."""
    long = repeated(load_batch(gestures / "p48.npz")[0], 240, "leaves")
    long.pose_present[120:] = False
    timeline = predict_sequence(long, tiny_model).timeline
    assert timeline[0].label != NO_PERSON and timeline[0].confidence > 0
    assert timeline[-1].label == NO_PERSON and timeline[-1].confidence == 0.0


def test_predict_action_checks_its_arguments_for_a_keypoint_sequence_as_for_a_video(tiny_model, gestures):
    from posehar.errors import PoseharError

    seq = load_batch(gestures / "p48.npz")[0]
    with pytest.raises(ValueError, match="people must be 'one' or 'all'"):
        predict_action(seq, model=tiny_model, people="two")
    with pytest.raises(ValueError, match="top_k must be a whole number of at least 1"):
        predict_action(seq, model=tiny_model, top_k=0)
    with pytest.raises(PoseharError, match="needs a video"):
        predict_action(seq, model=tiny_model, people="all")
    assert len(predict_action(seq, model=tiny_model, top_k=2).top_k) == 2


def test_gestures_of_unseen_person(tiny_model, gestures):
    seqs = load_batch(gestures / "p48.npz")[::3]  # p48 is not among the training people
    truth = np.array([s.label for s in seqs])
    preds = np.array([predict_sequence(s, tiny_model).label for s in seqs])
    known = preds != "unknown"
    assert known.sum() >= 5
    assert (preds[known] == truth[known]).mean() > 0.6  # three classes: chance is 1/3


def _count_frames(path):
    cap = cv2.VideoCapture(str(path))
    n, frame = 0, None
    while True:
        ok, f = cap.read()
        if not ok:
            break
        n, frame = n + 1, f
    return n, frame


def test_overlay_video_matches_source_and_has_skeleton(result, videos, tmp_path):
    out = write_overlay(videos / "seed_test_8.mp4", result.keypoints, tmp_path / "o.mp4", label_at=result.label_at)
    n, last = _count_frames(out)
    src_n, src_last = _count_frames(videos / "seed_test_8.mp4")
    assert n == src_n == 57 and last.shape == src_last.shape
    green = (last[..., 1] > 200) & (last[..., 0] < 80) & (last[..., 2] < 80)
    src_green = (src_last[..., 1] > 200) & (src_last[..., 0] < 80) & (src_last[..., 2] < 80)
    assert green.sum() > src_green.sum() + 200  # skeleton pixels were drawn
    sheet = contact_sheet(videos / "seed_test_8.mp4", result.keypoints, tmp_path / "s.png")
    assert cv2.imread(str(sheet)).shape[1] > 640


def test_activity_unlike_training_data_is_unknown(result):
    # seed_test_8 is a full-body lab clip (arms flapping), nothing like webcam sign gestures
    assert result.label == "unknown"
    assert result.unknown_because  # and why: not confident enough, or a movement unlike the training data
    assert {s.label for s in result.timeline} == {"unknown"}
    assert sum(result.probabilities.values()) == pytest.approx(1.0)  # probabilities are still reported


def test_overlay_draws_only_frames_whose_keypoints_were_read():
    """Keypoints of every 2nd frame from 2 to 6 (a capped, strided read): frames 2-7 show the row before them;
    frames before the first row and after the last one's stride show nothing rather than a stale skeleton."""
    from posehar.overlay import _drawn_row, _row_lookup

    seq = KeypointSequence(pose=np.zeros((3, 33, 4), np.float32), frame_indices=np.array([2, 4, 6]))
    lookup = _row_lookup(seq)
    assert [_drawn_row(lookup, i) for i in range(10)] == [None, None, 0, 0, 1, 1, 2, 2, None, None]
    assert _row_lookup(KeypointSequence(pose=np.zeros((0, 33, 4), np.float32))).size == 0


def test_windows_without_a_person_do_not_pull_their_neighbours_towards_unknown():
    """Two windows of a confident hello, then two with nobody (a streamed window with nobody holds uniform
    probabilities): the hello segment keeps its own confidence instead of being averaged with them."""
    from posehar.models import get_model
    from posehar.prediction import smooth, summarise_windows

    clf = get_model("mp_gestures")
    hello = np.eye(len(clf.classes_))[list(clf.classes_).index("hello")] * 0.9 + 0.1 / len(clf.classes_)
    proba = np.stack([hello, hello, *[np.full(len(clf.classes_), 1 / len(clf.classes_))] * 2])
    result = summarise_windows(clf, proba, np.zeros(4), np.array([1.0, 1.0, 0.0, 0.0]),
                               [(0, 30), (15, 45), (30, 60), (45, 75)], 30.0, frames_read=75, person_fraction=0.5,
                               fps=30.0, duration_s=2.5, source="made up", model="mp_gestures")
    assert [s.label for s in result.timeline] == ["hello", NO_PERSON]
    assert result.timeline[0].confidence == pytest.approx(hello.max())
    np.testing.assert_allclose(smooth(proba, 3), smooth(proba, 3, np.ones(4)))  # equal weights: a plain average
