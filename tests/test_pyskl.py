"""PYSKL annotation pickles: format of the export, and export -> import round trips."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from posehar.cli import main
from posehar.datasets import Sample
from posehar.extract import extract_dataset
from posehar.interop.pyskl import export_pyskl, import_pyskl
from posehar.pose import PoseSettings
from posehar.sequence import KeypointSequence
from posehar.store import KeypointStore, make_key

HOLISTIC = PoseSettings(keypoints="holistic", max_frames=4)


@pytest.fixture(scope="module")
def holistic_store(tmp_path_factory, videos: Path) -> KeypointStore:
    store = KeypointStore(tmp_path_factory.mktemp("pyskl") / "store")
    samples = [Sample(videos / "seed_test_9.mp4", "flap", "p9", "video"),
               Sample(videos / "seed_test_6.mp4", "kick", "p6", "video")]
    assert len(extract_dataset(samples, store, HOLISTIC, progress=False).with_status("done")) == 2
    return store


def _by_source(store: KeypointStore) -> dict[str, KeypointSequence]:
    return {Path(r["source"].split("#")[-1]).stem: store.load(r["key"]) for r in store.records()}


def test_export_matches_the_pyskl_format(holistic_store: KeypointStore, tmp_path: Path, videos: Path) -> None:
    data = export_pyskl(holistic_store, tmp_path / "out.pkl", hands=True)
    with open(tmp_path / "out.pkl", "rb") as fh:
        assert pickle.load(fh)["split"] == data["split"] == {"all": ["seed_test_6", "seed_test_9"]}
    assert data["classes"] == ["flap", "kick"]
    ann = {a["frame_dir"]: a for a in data["annotations"]}["seed_test_9"]
    assert ann["label"] == 0 and ann["total_frames"] == 4 and ann["img_shape"] == ann["original_shape"] == (480, 640)
    assert ann["keypoint"].shape == (1, 4, 75, 2) and ann["keypoint"].dtype == np.float32
    assert ann["keypoint_score"].shape == (1, 4, 75) and ann["keypoint_score"].dtype == np.float32
    seq = holistic_store.get(Sample(videos / "seed_test_9.mp4", "flap", "p9", "video"), HOLISTIC)
    np.testing.assert_allclose(ann["keypoint"][0, :, :33], seq.pose[..., :2] * [640, 480], rtol=1e-6)
    np.testing.assert_array_equal(ann["keypoint_score"][0, :, :33], seq.pose[..., 3])
    body_only = export_pyskl(holistic_store, tmp_path / "body.pkl")
    assert body_only["annotations"][0]["keypoint"].shape[2] == 33


def test_round_trip_through_pickle_and_cli(holistic_store: KeypointStore, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.pkl"
    assert main(["export-pyskl", str(holistic_store.root), str(out), "--hands"]) == 0
    assert main(["import-pyskl", str(out), str(tmp_path / "imported")]) == 2
    err = capsys.readouterr().err
    assert "--i-trust-this-file" in err and "runs whatever code" in err
    assert not (tmp_path / "imported").exists()
    assert main(["import-pyskl", str(out), str(tmp_path / "imported"), "--i-trust-this-file"]) == 0
    assert "imported 2 sequences" in capsys.readouterr().out

    imported = KeypointStore(tmp_path / "imported")
    before, after = _by_source(holistic_store), _by_source(imported)
    assert sorted(after) == sorted(before)
    for name, a in before.items():
        b = after[name]
        np.testing.assert_allclose(b.pose[..., :2], a.pose[..., :2], atol=1e-6)  # z is not exported
        np.testing.assert_array_equal(b.pose[..., 3], a.pose[..., 3])
        for part in ("left_hand", "right_hand"):
            np.testing.assert_allclose(getattr(b, part)[..., :2], getattr(a, part)[..., :2], atol=1e-6)
        for mask in ("pose_present", "left_present", "right_present"):
            np.testing.assert_array_equal(getattr(b, mask), getattr(a, mask))
        assert (b.label, b.meta["group"], b.fps, b.frame_size) == (a.label, a.meta["group"], a.fps, a.frame_size)
    keys = import_pyskl(out, imported)  # a second import adds nothing
    assert sorted(keys) == sorted(r["key"] for r in imported.records())
    again = export_pyskl(imported, tmp_path / "again.pkl", hands=True)
    assert [a["frame_dir"] for a in again["annotations"]] == ["seed_test_6", "seed_test_9"]


def test_kinect_round_trip(tmp_path: Path) -> None:
    store = KeypointStore(tmp_path / "store")
    rng = np.random.default_rng(1)
    seq = KeypointSequence(pose=rng.normal(size=(6, 20, 3)).astype(np.float32), layout="kinect_v1",
                           pose_present=np.array([1, 1, 0, 1, 1, 1], bool), fps=30.0, frame_size=(640, 480))
    seq.pose[2] = 0
    store.put(make_key("c", "kinect_skeleton", {}), seq, Sample(Path("s/Skeleton"), "wave", "actor01", "kinect_skeleton"), {})
    data = export_pyskl(store, tmp_path / "k.pkl")
    ann = data["annotations"][0]
    assert ann["frame_dir"] == "Skeleton"
    assert ann["keypoint"].shape == (1, 6, 20, 3) and ann["keypoint_score"][0, :, 0].tolist() == [1, 1, 0, 1, 1, 1]
    import_pyskl(tmp_path / "k.pkl", tmp_path / "back")
    back = next(iter(_by_source(KeypointStore(tmp_path / "back")).values()))
    np.testing.assert_array_equal(back.pose, seq.pose)
    np.testing.assert_array_equal(back.pose_present, seq.pose_present)
    assert back.layout == "kinect_v1" and back.label == "wave"


@pytest.mark.parametrize("content, says", [
    (b"not a pickle at all", "is not a readable pickle"),
    (pickle.dumps({"annotations": [{"frame_dir": "a", "keypoint": []}]}), "annotation 0 lacks label"),
], ids=["text", "no-label"])
def test_import_of_a_bad_file_is_one_line(tmp_path: Path, capsys, content: bytes, says: str) -> None:
    bad = tmp_path / "x.pkl"
    bad.write_bytes(content)
    assert main(["import-pyskl", str(bad), str(tmp_path / "store"), "--i-trust-this-file"]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_an_imported_store_trains_and_evaluates(gestures: Path, tmp_path: Path, capsys) -> None:
    """export -> import-pyskl -> train -> evaluate, as a PYSKL user would: labels and people come through."""
    from posehar.sequence import load_batch

    made = KeypointStore(tmp_path / "made")
    for person in ("p01", "p02", "p03", "p04"):
        for i, seq in enumerate(load_batch(gestures / f"{person}.npz")[::6]):
            seq.frame_size = (640, 480)  # webcam recordings; PYSKL keeps pixels
            made.put(make_key(f"{person}-{i}", "keypoints", {}), seq,
                     Sample(Path(f"{person}/{seq.label}_{i}"), seq.label, person, "keypoints"), {})
    assert main(["export-pyskl", str(made.root), str(tmp_path / "g.pkl"), "--hands"]) == 0
    assert main(["import-pyskl", str(tmp_path / "g.pkl"), str(tmp_path / "store"), "--i-trust-this-file"]) == 0
    assert f"posehar train {tmp_path / 'store'} -o MODEL" in capsys.readouterr().out

    model = tmp_path / "m"
    assert main(["train", str(tmp_path / "store"), "-o", str(model), "--cv", "2", "--epochs", "2"]) == 0
    record = json.loads((model / "config.json").read_text())["training"]
    assert record["groups"] == ["p01", "p02", "p03", "p04"] and record["classes"] == ["hello", "iloveyou", "thanks"]
    assert record["cross_validation"]["fold_accuracy"] and record["sequences"] == 60
    capsys.readouterr()
    assert main(["evaluate", str(model), str(tmp_path / "store"), "--confusion", str(tmp_path / "c.png")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("accuracy: ") and "(60 sequences of store)" in out and "people seen in training (4" in out


def test_a_store_of_one_source_under_two_settings_is_not_trained_on(gestures: Path, tmp_path: Path) -> None:
    from posehar.errors import StoreError
    from posehar.sequence import load_batch

    store = KeypointStore(tmp_path / "store")
    seq = load_batch(gestures / "p01.npz")[0]
    for settings in ({"keypoints": "body"}, {"keypoints": "holistic"}):
        store.put(make_key("c", "video", settings), seq, Sample(Path("clip.mp4"), "hello", "p01", "video"), settings)
    with pytest.raises(StoreError, match="holds clip.mp4 .and 0 more. under more than one pose setting"):
        store.labelled_sequences()
