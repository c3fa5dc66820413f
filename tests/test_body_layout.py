"""The common body layout: every source's table, the pinhole projection, and the shared skeleton files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posehar.body import (COMMON_JOINTS, MEDIAPIPE_DEPTH_SCALE, MEDIAPIPE_VISIBLE, SOURCE_LAYOUTS, body_layout,
                          identify_layout, sequence_to_common, to_common)
from posehar.datasets.skeleton_file import SkeletonFile, is_skeleton_file
from posehar.errors import DatasetLayoutError, KeypointFormatError
from posehar.features import FeatureConfig, sequence_features
from posehar.geometry import FOCAL_PX, View, project, project_depth
from posehar.layouts import COMMON_BODY, COMMON_BODY_HANDS_FEET, MEDIAPIPE_POSE
from posehar.proportions import Proportions, reproportion
from posehar.sequence import KeypointSequence
from posehar.skeleton import SkeletonClip
from posehar.skeleton_training import skeleton_sequences

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "keypoints"

# A person standing 2.5 m in front of a Kinect, facing it, in Kinect camera space (x to the sensor's
# left, y up, metres): the performer's left side is at smaller x.
STANDING = {
    "head": (0.0, 0.75, 2.5), "left_shoulder": (-0.2, 0.5, 2.5), "right_shoulder": (0.2, 0.5, 2.5),
    "left_elbow": (-0.25, 0.2, 2.5), "right_elbow": (0.25, 0.2, 2.5), "left_wrist": (-0.27, -0.05, 2.5),
    "right_wrist": (0.27, -0.05, 2.5), "left_hip": (-0.12, 0.0, 2.5), "right_hip": (0.12, 0.0, 2.5),
    "left_knee": (-0.12, -0.45, 2.5), "right_knee": (0.12, -0.45, 2.5), "left_ankle": (-0.12, -0.9, 2.5),
    "right_ankle": (0.12, -0.9, 2.5), "left_hand": (-0.28, -0.13, 2.5), "right_hand": (0.28, -0.13, 2.5),
    "left_foot": (-0.12, -0.97, 2.5), "right_foot": (0.12, -0.97, 2.5),
}
HANDS_FEET = COMMON_BODY_HANDS_FEET.name
ALL_JOINTS = COMMON_BODY_HANDS_FEET.joints  # the 13 every source has, then hands and feet
# The hands and feet each source gives (the others are masked).
GIVES = {"mediapipe_pose": ALL_JOINTS[13:], "kinect_v1": ALL_JOINTS[13:], "utd_mhad": ALL_JOINTS[13:],
         "kinect_v2": ALL_JOINTS[13:], "openpose_body25": ("left_foot", "right_foot")}
SETS = ("g3d", "msrc12", "kinder_gator", "utd_mhad", "nw_ucla", "ntu60_p001", "sbu_interaction", "penn_action",
        "jhmdb_gt14", "yoga_posepilot", "urfall_alphapose")


def _source_frame(layout, image_xy: dict[str, tuple[float, ...]], rng) -> np.ndarray:
    """One frame in ``layout`` whose table gives each common joint its place in ``image_xy`` (joints
    read as weighted means are solved for); every joint the table does not read is random."""
    channels = 3 if layout.space == "camera3d" else (layout.visibility + 1 if layout.visibility is not None else 2)
    frame = rng.uniform(0.2, 0.8, (len(layout.joint_names), channels)).astype(np.float32)
    reads = layout.weights().any(axis=1)
    w = layout.weights()[reads]
    used = np.flatnonzero(w.any(axis=0))
    target = np.array([image_xy[j] for j, read in zip(ALL_JOINTS, reads) if read], np.float64)
    solved = np.linalg.lstsq(w[:, used], target, rcond=None)[0]
    frame[used, :target.shape[1]] = solved
    if layout.visibility is not None:
        frame[used, layout.visibility] = 1.0
    return frame


@pytest.mark.parametrize("layout", SOURCE_LAYOUTS, ids=lambda s: s.name)
def test_each_source_table_puts_a_known_pose_on_the_same_common_joints(layout):
    rng = np.random.default_rng(0)
    if layout.space == "camera3d":
        pose = STANDING
        expected, _ = project(np.array([list(STANDING[j]) for j in ALL_JOINTS])[None])
    else:  # pixels of a 640x480 frame
        pose = {j: (320 - 200 * x, 240 - 200 * y) for j, (x, y, _) in STANDING.items()}
        expected = np.array([pose[j] for j in ALL_JOINTS], np.float32)[None]
    clip = SkeletonClip(_source_frame(layout, pose, rng)[None], layout.joint_names)
    seq = to_common(clip, layout=HANDS_FEET)
    reads = np.isin(ALL_JOINTS, COMMON_JOINTS + GIVES.get(layout.name, ()))
    assert seq.layout == HANDS_FEET and layout.hands_feet == reads.all()
    np.testing.assert_allclose(seq.pose[0, reads, :2], expected[0, reads], atol=1e-3)
    assert seq.pose[0, reads, 2].all() and not seq.pose[0, ~reads].any()  # a joint it lacks is masked
    body = to_common(clip)  # the common body: the same 13 joints
    assert body.layout == "common_body" and np.array_equal(body.pose, seq.pose[:, :13])
    assert np.array_equal(sequence_to_common(seq).pose, body.pose)


def test_a_model_reads_hands_and_feet_only_where_every_source_it_learns_from_has_them(shared):
    layouts = {name: SkeletonFile(shared / "skeletons" / f"{name}.npz").layout
               for name in ("g3d", "utd_mhad", "ntu60_p001", "yoga_posepilot", "penn_action")}
    for name in ("g3d", "utd_mhad", "ntu60_p001", "yoga_posepilot"):
        assert body_layout([layouts[name]]) == HANDS_FEET
    assert body_layout([layouts["penn_action"]]) == "common_body"
    assert body_layout([layouts["g3d"], layouts["penn_action"]]) == "common_body"
    assert body_layout([]) == "common_body"
    penn = to_common(SkeletonFile(shared / "skeletons" / "penn_action.npz").clip(0))
    with pytest.raises(KeypointFormatError, match="have no hands or feet, and this model reads 'common_body_hands_feet'"):
        sequence_to_common(penn, HANDS_FEET)


def test_layout_is_identified_from_joint_names_whatever_their_order_or_spelling():
    kinect = identify_layout(["HipCenter", "Spine", "ShoulderCenter", "Head", "ShoulderLeft", "ElbowLeft",
                              "WristLeft", "HandLeft", "ShoulderRight", "ElbowRight", "WristRight", "HandRight",
                              "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft", "HipRight", "KneeRight",
                              "AnkleRight", "FootRight"])
    assert kinect.name == "kinect_v1"
    snake = identify_layout(["hip_center", "spine", "shoulder_center", "head", "shoulder_left", "elbow_left",
                             "wrist_left", "hand_left", "shoulder_right", "elbow_right", "wrist_right",
                             "hand_right", "hip_left", "knee_left", "ankle_left", "foot_left", "hip_right",
                             "knee_right", "ankle_right", "foot_right"])
    assert snake.name == "kinect_v1"
    penn = next(s for s in SOURCE_LAYOUTS if s.name == "penn_action")
    shuffled = list(reversed(penn.joint_names))
    found = identify_layout(shuffled)
    assert found.name == "penn_action" and found.joint_names == tuple(shuffled)
    assert found.weights()[0, shuffled.index("head")] == 1.0
    with pytest.raises(KeypointFormatError, match="no known skeleton layout"):
        identify_layout(["nose", "tail", "wing"])


def test_kinect_head_centre_becomes_the_face_like_a_nose():
    kinect = identify_layout(["HipCenter", "Spine", "ShoulderCenter", "Head", "ShoulderLeft", "ElbowLeft",
                              "WristLeft", "HandLeft", "ShoulderRight", "ElbowRight", "WristRight", "HandRight",
                              "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft", "HipRight", "KneeRight",
                              "AnkleRight", "FootRight"])
    frame = np.zeros((1, 20, 3), np.float32)
    frame[0, :, 2] = 2.5
    frame[0, kinect.joint_names.index("Head"), 1] = 0.75
    frame[0, kinect.joint_names.index("ShoulderCenter"), 1] = 0.5
    seq = to_common(SkeletonClip(frame, kinect.joint_names))
    face_y = 0.45 * 0.75 + 0.55 * 0.5
    assert seq.pose[0, 0, 1] == pytest.approx(240 - FOCAL_PX * face_y / 2.5, abs=1e-3)


def test_a_joint_the_source_did_not_see_is_masked_not_invented():
    penn = next(s for s in SOURCE_LAYOUTS if s.name == "penn_action")
    frame = np.zeros((1, 13, 3), np.float32)
    frame[0, :, :2] = np.arange(26).reshape(13, 2) + 100
    frame[0, :, 2] = 1
    frame[0, penn.joint_names.index("left_knee"), 2] = 0  # annotated as not visible
    seq = to_common(SkeletonClip(frame, penn.joint_names))
    knee = COMMON_JOINTS.index("right_knee")  # Penn Action's "left" is the performer's right
    assert seq.pose[0, knee].tolist() == [0.0] * COMMON_BODY.channels
    assert seq.pose[0, :, 2].sum() == 12


def test_projection_puts_a_standing_kinect_skeleton_upright_where_a_camera_at_the_sensor_sees_it():
    joints = np.array([list(STANDING[j]) for j in COMMON_JOINTS])[None]
    xy, seen = project(joints)
    assert seen.all()
    at = {j: xy[0, i] for i, j in enumerate(COMMON_JOINTS)}
    # upright: head above shoulders above hips above knees above ankles (image y down)
    assert at["head"][1] < at["left_shoulder"][1] < at["left_hip"][1] < at["left_knee"][1] < at["left_ankle"][1]
    # facing the camera: the performer's left side is on the image's right
    assert at["left_shoulder"][0] > at["right_shoulder"][0]
    # pinhole: the hip centre (x 0, y 0, 2.5 m) at the principal point; a joint 0.75 m up, 525*0.75/2.5 px higher
    assert np.allclose((at["left_hip"] + at["right_hip"]) / 2, (320, 240))
    assert at["head"][1] == pytest.approx(240 - FOCAL_PX * 0.75 / 2.5)


def test_untracked_joints_at_zero_depth_are_not_seen_and_views_rotate_the_performer():
    joints = np.array([[[0.0, 0.5, 2.0], [0.0, 0.0, 0.0]]])
    xy, seen = project(joints)
    assert seen.tolist() == [[True, False]] and xy[0, 1].tolist() == [0.0, 0.0]
    body = np.array([list(STANDING[j]) for j in COMMON_JOINTS])[None]
    front, _ = project(body)
    side, _ = project(body, View(yaw=90.0))
    width = lambda p: abs(p[0, 1, 0] - p[0, 2, 0])  # noqa: E731 - shoulder width in pixels
    assert width(side) < 0.1 * width(front)  # seen from the side, the shoulders overlap
    assert abs(side[0, 0, 1] - front[0, 0, 1]) < 1.0  # the head stays at the same height


def test_mediapipe_keypoints_from_video_map_to_the_common_body():
    pose = np.zeros((2, 33, 4), np.float32)
    pose[:, :, :2] = 0.5
    pose[:, :, 3] = 0.9
    pose[:, 11, :2] = (0.6, 0.4)  # left shoulder
    pose[:, 13, :2] = (0.7, 0.5)  # left elbow, behind the body: estimated, low visibility
    pose[:, 13, 3] = 0.3
    pose[:, 27, 3] = 0.05         # left ankle not visible
    pose[:, 16, :2] = (0.5, 1.2)  # right wrist below the frame, extrapolated however visible
    seq = sequence_to_common(KeypointSequence(pose=pose, frame_size=(640, 480)))
    assert seq.layout == "common_body"
    assert seq.pose[0, COMMON_JOINTS.index("left_shoulder"), :2].tolist() == pytest.approx([0.6 * 4 / 3, 0.4])
    assert seq.pose[0, COMMON_JOINTS.index("left_elbow"), :3].tolist() == pytest.approx([0.7 * 4 / 3, 0.5, 1.0])
    for unseen in ("left_ankle", "right_wrist"):
        assert seq.pose[0, COMMON_JOINTS.index(unseen)].tolist() == [0.0] * COMMON_BODY.channels


def test_a_mediapipe_skeleton_file_reads_as_mediapipe_keypoints_from_video():
    """The shared format's MediaPipe joints (a .npz such as the yoga set's) are read as video keypoints
    are: a wrist far below the frame is unseen, and the rest are still read as fractions of the frame."""
    pose = np.zeros((3, 33, 4), np.float32)
    pose[..., :2], pose[..., 3] = 0.5, 0.9
    pose[:, 11, :2] = (0.6, 0.4)  # left shoulder
    pose[1:, 16, :2] = (0.5, 1.8)  # right wrist far below the frame in two frames, visible 0.9
    clip = SkeletonClip(pose, MEDIAPIPE_POSE.joints, frame_size=(640, 480))
    from_file = to_common(clip)
    from_video = sequence_to_common(KeypointSequence(pose=pose, frame_size=(640, 480)))
    assert np.array_equal(from_file.pose, from_video.pose)
    wrist = COMMON_JOINTS.index("right_wrist")
    assert from_file.pose[:, wrist, 2].tolist() == [1.0, 0.0, 0.0]
    assert from_file.pose[1, COMMON_JOINTS.index("left_shoulder"), :2].tolist() == pytest.approx([0.6 * 4 / 3, 0.4])


@pytest.mark.parametrize("name", ["p48_thanks", "p61_iloveyou"])
def test_a_webcam_recordings_joints_beyond_the_frame_are_unseen_and_every_joint_seen_is_inside(name):
    """Real MediaPipe recordings (upper body, webcam): elbows and wrists below the bottom edge that
    MediaPipe calls visible are not put on the edge as if seen there; inside the frame a joint is seen
    from visibility MEDIAPIPE_VISIBLE."""
    seq = KeypointSequence.load(EXAMPLES / f"{name}.npz")
    common = sequence_to_common(seq, HANDS_FEET)
    beyond = ((seq.pose[..., :2] < 0) | (seq.pose[..., :2] > 1)).any(-1)
    arms = [MEDIAPIPE_POSE.joints.index(f"{s}_{p}") for s in ("left", "right") for p in ("elbow", "wrist")]
    assert (beyond & (seq.pose[..., 3] >= 0.5))[:, arms].any()  # the recording has such joints
    read_from = {"head": ("nose",), "left_foot": ("left_foot_index",), "right_foot": ("right_foot_index",),
                 **{f"{s}_hand": (f"{s}_index", f"{s}_pinky") for s in ("left", "right")}}
    for c, joint in enumerate(ALL_JOINTS):
        j = [MEDIAPIPE_POSE.joints.index(name) for name in read_from.get(joint, (joint,))]
        seen = common.pose[:, c, 2] > 0
        inside = (~beyond[:, j] & (seq.pose[:, j, 3] >= MEDIAPIPE_VISIBLE)).all(axis=1)
        assert np.array_equal(seen, inside & seq.pose_present), joint


def test_depth_is_relative_to_the_body_in_pixels_at_its_distance():
    body = np.array([list(STANDING[j]) for j in COMMON_JOINTS])[None].repeat(2, axis=0)
    body[1, COMMON_JOINTS.index("right_ankle"), 2] -= 0.8  # a kick: the foot 0.8 m towards the sensor
    xy, depth, seen = project_depth(body)
    assert seen.all() and np.allclose(depth[0], 0.0)
    ankle = COMMON_JOINTS.index("right_ankle")
    mean_z = 2.5 - 0.8 / len(COMMON_JOINTS)
    assert depth[1, ankle] == pytest.approx(FOCAL_PX * (1.7 - mean_z) / mean_z, rel=1e-4)
    assert (np.delete(depth[1], ankle) > 0).all()  # the rest of the body is now behind the mean
    # seen from the side, the shoulders are one in front of the other by their width
    _, side, _ = project_depth(body[:1], View(yaw=90.0))
    shoulders = side[0, COMMON_JOINTS.index("left_shoulder")] - side[0, COMMON_JOINTS.index("right_shoulder")]
    assert abs(shoulders) == pytest.approx(FOCAL_PX * 0.4 / 2.5, rel=0.05)


def test_depth_comes_from_3d_sources_and_mediapipe_and_is_masked_for_2d_annotations():
    d = COMMON_BODY.depth
    v1 = next(layout for layout in SOURCE_LAYOUTS if layout.name == "kinect_v1")
    joints = np.random.default_rng(0).uniform((-0.3, -0.9, 2.4), (0.3, 0.8, 2.6), (1, len(v1.joint_names), 3))
    kinect = to_common(SkeletonClip(joints, v1.joint_names))
    assert kinect.pose[0, :, d + 1].all() and np.abs(kinect.pose[0, :, d]).max() < FOCAL_PX * 0.2 / 2.4
    pose = np.zeros((1, 33, 4), np.float32)
    pose[..., :2], pose[..., 3] = 0.5, 0.9
    pose[0, 28, 2] = -0.4  # right ankle: MediaPipe z, in fractions of the frame's width
    mp = sequence_to_common(KeypointSequence(pose=pose, frame_size=(640, 480)))
    ankle = COMMON_JOINTS.index("right_ankle")
    assert mp.pose[0, ankle, d] == pytest.approx(-0.4 * MEDIAPIPE_DEPTH_SCALE * 640 / 480)
    assert mp.pose[0, :, d + 1].all()
    penn = identify_layout(("head",) + tuple(f"{s}_{p}" for p in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
                                            for s in ("left", "right")))
    frame = np.full((1, 13, 3), 0.5, np.float32)
    annotated = to_common(SkeletonClip(frame, penn.joint_names))
    assert annotated.pose[0, :, 2].all() and not annotated.pose[0, :, d:].any()


def test_depth_features_see_a_kick_towards_the_camera(shared):
    """G3D kicks: the kicking ankle moves towards the camera and back, three times as far as the other;
    without ``depth`` the features are those of a model trained before depth existed."""
    sf = SkeletonFile(shared / "skeletons" / "g3d.npz")
    config = FeatureConfig(layout="common_body", hands=False, root_motion=True, depth=True)
    cols = config.block_columns()["depth_velocity"]
    right, left = COMMON_JOINTS.index("right_ankle"), COMMON_JOINTS.index("left_ankle")
    for label, kicking, standing in (("KickRight", right, left), ("KickLeft", left, right)):
        for i in np.flatnonzero(sf.labels == label)[:5]:
            feats, _ = sequence_features(sf.sequence(int(i)), config)
            assert feats[:, cols[kicking]].min() < -0.2
            assert np.abs(feats[:, cols[kicking]]).sum() > 3 * np.abs(feats[:, cols[standing]]).sum()
            assert feats[:, config.block_columns()["depth_flag"]].all()
    flat = FeatureConfig(layout="common_body", hands=False, root_motion=True)
    assert flat.dim() == config.dim() - len(COMMON_JOINTS) - 1 and "depth_flag" not in flat.block_columns()


@pytest.mark.parametrize("name", SETS)
def test_every_shared_set_reads_in_the_common_body(shared, name):
    sf = SkeletonFile(shared / "skeletons" / f"{name}.npz")
    assert len(sf) == len(sf.labels) and set(sf.groups) == set(sf.subjects)
    seq = sf.sequence(0)
    seen = seq.pose[..., 2] > 0
    head, hips = COMMON_JOINTS.index("head"), COMMON_JOINTS.index("left_hip")
    both = seen[:, head] & seen[:, hips]
    assert both.any()
    assert (seq.pose[both, head, 1] < seq.pose[both, hips, 1]).mean() > 0.9  # upright in the image


@pytest.mark.parametrize("name", ("jhmdb_gt14", "penn_action", "urfall_alphapose", "yoga_posepilot"))
def test_a_2d_set_is_read_in_one_unit_wherever_its_people_stand(shared, name):
    """Every clip of a 2D set is read in the same units, so its shape does not depend on where the person
    stands: moving a clip by a tenth of its extent moves its common body by one offset. (JHMDB's coordinates
    are centred on the frame; read as fractions of it wherever they all lay within [-0.5, 1.5], 390 of its
    609 clips were stretched sideways by the frame's aspect and the rest were not.)"""
    sf = SkeletonFile(shared / "skeletons" / f"{name}.npz")
    for i in range(0, len(sf), max(1, len(sf) // 40)):
        clip = sf.clip(i)
        xy = clip.joints[..., :2]
        shift = 0.1 * (xy.max() - xy.min())
        moved = replace(clip, joints=np.concatenate([xy + shift, clip.joints[..., 2:]], axis=-1))
        before, after = to_common(clip).pose, to_common(moved).pose
        seen = before[..., 2] > 0
        assert np.array_equal(seen, after[..., 2] > 0)
        offsets = (after - before)[seen][:, :2]
        np.testing.assert_allclose(offsets, offsets[:1].repeat(len(offsets), 0), atol=1e-3, err_msg=f"{name} clip {i}")


@pytest.mark.parametrize("name", ("g3d", "msrc12", "utd_mhad", "nw_ucla", "ntu60_p001", "sbu_interaction",
                                  "penn_action", "yoga_posepilot"))
def test_the_head_is_the_face_in_every_source(shared, name):
    """Median height of the common head above the mid-shoulder point, in shoulder widths: the same
    (0.5-0.7) for Kinect head centres mapped to the face as for MediaPipe's nose and Penn's head."""
    from posehar.features import body_frame

    sf = SkeletonFile(shared / "skeletons" / f"{name}.npz")
    heights = []
    for i in range(0, len(sf), max(1, len(sf) // 60)):
        seq = sf.sequence(i)
        coords, centre, scale = body_frame(seq)
        seen = seq.pose[:, 0, 2] > 0
        if seen.any():
            heights.append(np.median((centre[seen, 1] - coords[seen, 0, 1]) / scale))
    assert 0.5 <= np.median(heights) <= 0.7


def test_skeleton_protocols_come_from_the_arrays(shared):
    penn = SkeletonFile(shared / "skeletons" / "penn_action.npz")
    desc, train, test = penn.protocol()
    assert (len(train), len(test)) == (1258, 1068)
    ucla = SkeletonFile(shared / "skeletons" / "nw_ucla.npz")
    desc, train, test = ucla.protocol()
    assert "cross-view" in desc and set(np.char.lower(ucla.extra["views"][test].astype(str))) == {"v03"}
    assert SkeletonFile(shared / "skeletons" / "g3d.npz").protocol() is None
    sbu = SkeletonFile(shared / "skeletons" / "sbu_interaction.npz", person=2)
    assert sbu.layout.name == "sbu_person"


def test_bad_skeleton_files_are_refused_naming_the_file(tmp_path):
    good = dict(joints=np.zeros((5, 13, 3), np.float32), offsets=np.array([0, 2, 5]),
                joint_names=np.array(next(s for s in SOURCE_LAYOUTS if s.name == "penn_action").joint_names),
                labels=np.array(["a", "b"]), subjects=np.array(["s1", "s2"]), fps=np.array(30.0))
    cases = {
        "missing": {k: v for k, v in good.items() if k != "offsets"},
        "offsets": {**good, "offsets": np.array([0, 3, 2])},
        "nan": {**good, "joints": np.full((5, 13, 3), np.nan, np.float32)},
        "subjects": {**good, "subjects": np.array(["s1"])},
        "names": {**good, "joint_names": np.array([f"j{i}" for i in range(13)])},
    }
    for name, arrays in cases.items():
        path = tmp_path / f"{name}.npz"
        np.savez(path, **arrays)
        with pytest.raises((DatasetLayoutError, KeypointFormatError), match=name):
            SkeletonFile(path)
    malformed = {
        "fps must be one number": {**good, "fps": np.array([30.0, 25.0])},
        "fps must be one number, got shape": {**good, "fps": np.array("thirty")},
        "offsets must be integers": {**good, "offsets": np.array(["0", "2", "5"])},
        "subjects must be one-dimensional": {**good, "subjects": np.array("s1")},
    }
    for n, (says, arrays) in enumerate(malformed.items()):
        path = tmp_path / f"malformed{n}.npz"
        np.savez(path, **arrays)
        with pytest.raises(DatasetLayoutError, match=f"malformed{n}.npz: {says}"):
            SkeletonFile(path)
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    assert not is_skeleton_file(text)
    with pytest.raises(DatasetLayoutError, match="text.npz"):
        SkeletonFile(text)


def test_a_skeleton_file_declaring_too_many_frames_is_refused_before_loading(tmp_path):
    """Only the header of its joints says 30 million frames (no data follows): refused from the header."""
    import io
    import zipfile

    path = tmp_path / "huge.npz"
    small = dict(offsets=np.array([0, 30_000_000]), labels=np.array(["a"]), subjects=np.array(["s1"]),
                 joint_names=np.array(next(s for s in SOURCE_LAYOUTS if s.name == "penn_action").joint_names))
    with zipfile.ZipFile(path, "w") as z:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                      "shape": (30_000_000, 13, 3)})
        z.writestr("joints.npy", header.getvalue())
        for name, value in small.items():
            buf = io.BytesIO()
            np.save(buf, value)
            z.writestr(f"{name}.npy", buf.getvalue())
    with pytest.raises(DatasetLayoutError, match="huge.npz: 30000000 frames is more than"):
        SkeletonFile(path)


@pytest.mark.parametrize("name", ("g3d", "msrc12", "utd_mhad", "kinder_gator", "ntu60_p001", "penn_action"))
def test_the_hips_are_at_the_hip_joints_in_every_source(shared, name):
    """Median height of the mid-hip point below the mid-shoulder point, in shoulder widths: Kinect v1's
    pelvis-top hip joints lowered to the hip joints (1.5-1.7), as Kinect v2 and Penn Action place them."""
    from posehar.features import body_frame, pair_point

    sf = SkeletonFile(shared / "skeletons" / f"{name}.npz")
    depths = []
    for i in range(0, len(sf), max(1, len(sf) // 60)):
        seq = sf.sequence(i)
        coords, centre, scale = body_frame(seq)
        seen = seq.pose[..., 2] > 0
        hips, ok = pair_point(coords, seen, 7, 8)
        ok &= seen[:, 1] & seen[:, 2]
        if ok.any():
            depths.append(np.median((hips[ok, 1] - centre[ok, 1]) / scale))
    assert 1.45 <= np.median(depths) <= 1.75


def test_other_proportions_scale_each_segment_and_keep_its_direction():
    body = np.array([list(STANDING[j]) for j in ALL_JOINTS])[None]
    at = {j: i for i, j in enumerate(ALL_JOINTS)}
    longer = reproportion(body, Proportions(forearm=1.2, thigh=0.8))
    np.testing.assert_array_equal(reproportion(body[:, :13], Proportions(forearm=1.2, thigh=0.8)), longer[:, :13])
    segment = lambda b, a, c: b[0, at[c]] - b[0, at[a]]  # noqa: E731
    for side in ("left", "right"):
        np.testing.assert_allclose(segment(longer, f"{side}_elbow", f"{side}_wrist"),
                                   1.2 * segment(body, f"{side}_elbow", f"{side}_wrist"))
        np.testing.assert_allclose(segment(longer, f"{side}_hip", f"{side}_knee"),
                                   0.8 * segment(body, f"{side}_hip", f"{side}_knee"))
        # the shin keeps its length and moves up with the shorter thigh
        np.testing.assert_allclose(segment(longer, f"{side}_knee", f"{side}_ankle"),
                                   segment(body, f"{side}_knee", f"{side}_ankle"))
        # hands and feet keep their size and follow the longer forearm and the shorter thigh
        for joint, end in (("wrist", "hand"), ("ankle", "foot")):
            np.testing.assert_allclose(segment(longer, f"{side}_{joint}", f"{side}_{end}"),
                                       segment(body, f"{side}_{joint}", f"{side}_{end}"))
        assert longer[0, at[f"{side}_hand"], 1] < body[0, at[f"{side}_hand"], 1]
        assert longer[0, at[f"{side}_foot"], 1] > body[0, at[f"{side}_foot"], 1]
    np.testing.assert_allclose(longer[0, :at["left_elbow"]], body[0, :at["left_elbow"]])  # head, shoulders
    np.testing.assert_allclose(reproportion(body, Proportions()), body)


def test_training_views_of_other_proportions_leave_the_recording_and_untracked_frames_as_they_were(shared):
    sf = SkeletonFile(shared / "skeletons" / "utd_mhad.npz")
    plain, _, _ = skeleton_sequences(sf, range(3), views=2, seed=0, proportions=0.0)
    varied, _, _ = skeleton_sequences(sf, range(3), views=2, seed=0, proportions=0.1)
    for n, (a, b) in enumerate(zip(plain, varied)):
        if n % 3 == 0:  # the recording as recorded
            np.testing.assert_array_equal(a.pose, b.pose)
        else:  # the same viewpoint, another body: the same joints seen, at other places
            assert (a.pose[..., 2] == b.pose[..., 2]).all() and not np.allclose(a.pose, b.pose)
    clip = sf.clip(0)
    clip.joints = clip.joints.copy()
    clip.joints[5, list(clip.joint_names).index("wrist_L")] = 0.0  # a frame with one joint untracked
    kept = to_common(clip, None, Proportions(upper_arm=1.15))
    plain_view = to_common(clip)
    np.testing.assert_array_equal(kept.pose[5], plain_view.pose[5])  # read as recorded
    assert not np.allclose(kept.pose[6], plain_view.pose[6])
    # a source without hands and feet (SBU's people) is replayed by other bodies in either layout
    sbu = next(layout for layout in SOURCE_LAYOUTS if layout.name == "sbu_person")
    person = SkeletonClip(_source_frame(sbu, STANDING, np.random.default_rng(0))[None], sbu.joint_names)
    for layout in ("common_body", HANDS_FEET):
        other = to_common(person, None, Proportions(upper_arm=1.2), layout=layout).pose
        assert not np.allclose(other, to_common(person, layout=layout).pose)


def test_penn_actions_left_and_right_are_read_as_the_performers_own(shared):
    """Penn Action calls the performer's right side "left". Read through its table, a performer facing
    the camera (its "front" view) has the common left shoulder on the image's right, as every Kinect
    set has, and a bowler's bowling arm (most bowl right-handed) is the common right arm. (Its "back"
    view tells nothing: its shoulders are on either side about as often.)"""
    sf = SkeletonFile(shared / "skeletons" / "penn_action.npz")
    at = {j: i for i, j in enumerate(COMMON_JOINTS)}
    facing = []
    for i in np.flatnonzero(sf.extra["view"].astype(str) == "front"):
        pose = sf.sequence(int(i)).pose
        both = (pose[:, at["left_shoulder"], 2] > 0) & (pose[:, at["right_shoulder"], 2] > 0)
        if both.any():
            facing.append(np.mean(pose[both, at["left_shoulder"], 0] > pose[both, at["right_shoulder"], 0]))
    right_arm_bowls = []
    for i in np.flatnonzero(sf.labels == "bowl"):
        wrists = sf.sequence(int(i)).pose[:, [at["left_wrist"], at["right_wrist"]]]
        both = (wrists[..., 2] > 0).all(axis=1)
        path = np.linalg.norm(np.diff(wrists[both, :, :2], axis=0), axis=-1).sum(axis=0)
        right_arm_bowls.append(path[1] > path[0])
    assert np.mean(facing) > 0.7 and np.mean(right_arm_bowls) > 0.7
