"""Bad input, output paths (issue 20, items 1, 2, 7, 8): no output option overwrites an input or a
folder that is not a model bundle, every output path is checked before any work starts, and bad
numbers are refused at parsing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from posehar.cli import main
from posehar.predict import predict_action

from test_bad_input import cli_error


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): digest(p) for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.fixture
def video(videos: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(videos / "seed_test_6.mp4", tmp_path / "v.mp4"))


@pytest.fixture
def no_work(monkeypatch):
    """Any pose extraction or training fails the test: errors must come before the work."""
    def boom(*a, **k):
        raise AssertionError("work started before the output path was checked")

    import posehar.pose
    import posehar.predict
    import posehar.training

    monkeypatch.setattr(posehar.pose, "extract_keypoints", boom)
    monkeypatch.setattr(posehar.predict, "extract_keypoints", boom)
    monkeypatch.setattr(posehar.pose, "track_frames", boom)
    monkeypatch.setattr(posehar.training, "PoseActionClassifier", boom)
    import posehar.cli.overlay  # noqa: F401  (imports extract_keypoints from posehar.pose at run time)


@pytest.fixture
def data3(gestures: Path, tmp_path: Path) -> Path:
    """Three people's keypoint files (a training DATA folder)."""
    folder = tmp_path / "data"
    folder.mkdir()
    for p in ("p01", "p02", "p03"):
        for suffix in (".npz", ".json"):
            shutil.copy(gestures / f"{p}{suffix}", folder)
    return folder


# ------------------------------------------------------------ item 1: train / personalize -o
def test_train_out_is_the_data_folder(capsys, data3, no_work):
    before = tree(data3)
    line = cli_error(capsys, ["train", str(data3), "-o", str(data3), "--cv", "0", "--epochs", "1"])
    assert "is the input" in line
    assert tree(data3) == before


def test_train_out_contains_the_data(capsys, data3, no_work):
    line = cli_error(capsys, ["train", str(data3), "-o", str(data3.parent), "--cv", "0", "--epochs", "1"])
    assert "contains the input" in line
    assert len(tree(data3)) == 6


def test_train_out_inside_the_data_folder(capsys, data3, no_work):
    """A model written into a folder of clips would be a class of its own the next time it is read."""
    before = tree(data3)
    line = cli_error(capsys, ["train", str(data3), "-o", str(data3 / "hello" / "new"), "--from", "mp_gestures"])
    assert "is inside the input folder" in line
    assert tree(data3) == before


def test_train_out_folder_with_other_files(capsys, data3, tmp_path, no_work):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.txt").write_text("years of work")
    line = cli_error(capsys, ["train", str(data3), "-o", str(other), "--cv", "0", "--epochs", "1"])
    assert "not a posehar model bundle" in line
    assert (other / "thesis.txt").read_text() == "years of work"


def test_train_out_existing_file_leaves_no_hidden_copy(capsys, data3, tmp_path, no_work):
    f = tmp_path / "notes.txt"
    f.write_text("keep me")
    assert "not a model bundle folder" in cli_error(
        capsys, ["train", str(data3), "-o", str(f), "--cv", "0", "--epochs", "1"])
    assert f.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "notes.txt"]


@pytest.mark.parametrize("out", [".", ".."])
def test_train_out_dot(capsys, data3, tmp_path, monkeypatch, no_work, out):
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.txt").write_text("a")
    monkeypatch.chdir(work)
    cli_error(capsys, ["train", str(data3), "-o", out, "--cv", "0", "--epochs", "1"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "work"]
    assert sorted(p.name for p in work.iterdir()) == ["a.txt"]


def test_personalize_out_is_the_model(capsys, tiny_model, gestures, tmp_path):
    model = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    before = tree(model)
    line = cli_error(capsys, ["personalize", str(model), str(gestures / "p40.npz"), "-o", str(model)])
    assert "is the input" in line
    assert tree(model) == before


def test_personalize_out_contains_the_clips(capsys, tiny_model, gestures, tmp_path):
    clips = tmp_path / "clips" / "hello"
    clips.mkdir(parents=True)
    line = cli_error(capsys, ["personalize", str(tiny_model), str(tmp_path / "clips"), "-o", str(tmp_path)])
    assert "contains the input" in line


def test_save_model_replaces_only_a_bundle(tiny_model, tmp_path):
    from posehar.bundle import load_model, save_model
    from posehar.errors import PoseharError

    clf = load_model(tiny_model)
    out = save_model(clf, tmp_path / "m")
    save_model(clf, out)  # a bundle is replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "x.txt").write_text("x")
    with pytest.raises(PoseharError, match="not a posehar model bundle"):
        save_model(clf, junk)
    assert (junk / "x.txt").read_text() == "x"
    f = tmp_path / "file"
    f.write_text("f")
    with pytest.raises(PoseharError, match="not a model bundle folder"):
        save_model(clf, f)
    assert f.read_text() == "f"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "junk", "m"]
    modes = {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()}
    assert len(set(modes.values())) == 1, modes  # item 13: no weight file more private than the rest


# ------------------------------------------------------------ item 2: output = input
def _hardlink(video: Path) -> Path:
    link = video.with_name("hard.mp4")
    os.link(video, link)
    return link


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
def test_pose_out_is_the_video(capsys, video, no_work, how):
    out = {"same": lambda: video, "hardlink": lambda: _hardlink(video),
           "symlink": lambda: (video.with_name("s.npz").symlink_to(video), video.with_name("s.npz"))[1]}[how]()
    before = digest(video)
    args = ["pose", str(video), "-o", str(out), "--max-frames", "2"]
    if how == "symlink":
        assert "is the input" in cli_error(capsys, args)
    else:  # .mp4 is not a keypoint file name either; both rules refuse it before any work
        cli_error(capsys, args)
    assert digest(video) == before


def test_pose_out_mp4_named_npz_link_to_video(capsys, video, no_work):
    link = video.with_name("k.npz")
    os.link(video, link)
    assert "is the input" in cli_error(capsys, ["pose", str(video), "-o", str(link), "--max-frames", "2"])
    assert digest(video) == digest(link)


def test_overlay_out_is_the_video(capsys, video, no_work, tiny_model):
    before = digest(video)
    line = cli_error(capsys, ["overlay", str(video), "-o", str(video), "--max-frames", "2", "--no-label"])
    assert "is the input" in line
    assert digest(video) == before


def test_overlay_out_is_the_keypoints_file(capsys, video, tmp_path, no_work):
    kp = tmp_path / "k.npz"
    kp.write_bytes(b"placeholder")
    line = cli_error(capsys, ["overlay", str(video), "-o", str(video), "--keypoints-file", str(kp), "--no-label"])
    assert "is the input" in line


def test_predict_overlay_is_the_video(capsys, video, no_work, tiny_model):
    before = digest(video)
    line = cli_error(capsys, ["predict", str(video), "--overlay", str(video), "--model", str(tiny_model),
                              "--max-frames", "2"])
    assert "is the input" in line
    assert digest(video) == before


def test_predict_timeline_is_the_model_config(capsys, video, tiny_model, tmp_path, no_work):
    model = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    before = tree(model)
    line = cli_error(capsys, ["predict", str(video), "--model", str(model), "--timeline",
                              str(model / "config.json"), "--max-frames", "2"])
    assert "inside the input model bundle" in line
    assert tree(model) == before


def test_live_overlay_is_the_source(capsys, video, tiny_model):
    before = digest(video)
    line = cli_error(capsys, ["live", "--source", str(video), "--overlay", str(video), "--model", str(tiny_model),
                              "--max-frames", "2"])
    assert "is the input" in line
    assert digest(video) == before


def test_live_jsonl_is_the_source(capsys, video, tiny_model):
    before = digest(video)
    cli_error(capsys, ["live", "--source", str(video), "--jsonl", str(video), "--model", str(tiny_model),
                       "--max-frames", "2"])
    assert digest(video) == before


def test_export_pyskl_out_is_the_store(capsys, tmp_path):
    store = tmp_path / "store.pkl"  # a store folder with a pickle's name
    store.mkdir()
    assert "is the input" in cli_error(capsys, ["export-pyskl", str(store), str(store)])


# ------------------------------------------------------------ item 7: checked before the work
@pytest.mark.parametrize("option, name", [("--timeline", "t.txt"), ("--sheet", "s.txt"), ("--overlay", "o.avi")])
def test_predict_bad_output_name_before_work(capsys, video, tmp_path, tiny_model, no_work, option, name):
    line = cli_error(capsys, ["predict", str(video), "--model", str(tiny_model), option, str(tmp_path / name)])
    assert name in line and "must end in" in line


def test_evaluate_bad_confusion_name_before_work(capsys, tiny_model, data3, monkeypatch):
    import posehar.sequence

    monkeypatch.setattr(posehar.sequence, "load_folder", lambda *a: (_ for _ in ()).throw(AssertionError("work")))
    line = cli_error(capsys, ["evaluate", str(tiny_model), str(data3), "--confusion", str(data3.parent / "c.txt")])
    assert "must end in" in line


def test_evaluate_confusion_folder_is_refused(capsys, tiny_model, data3, tmp_path):
    d = tmp_path / "cm"
    d.mkdir()
    cli_error(capsys, ["evaluate", str(tiny_model), str(data3), "--confusion", str(d)])
    assert not (tmp_path / "cm.png").exists()


def test_unwritable_output_folder(capsys, video, no_work):
    line = cli_error(capsys, ["pose", str(video), "-o", "/proc/posehar_k.npz", "--max-frames", "2"])
    assert "cannot write" in line


def test_output_on_read_only_file_system_in_train(capsys, data3, no_work):
    line = cli_error(capsys, ["train", str(data3), "-o", "/proc/posehar_model", "--cv", "0"])
    assert "cannot write" in line


def test_same_output_twice(capsys, video, tiny_model, tmp_path, no_work):
    t = str(tmp_path / "t.csv")
    assert "same file" in cli_error(capsys, ["predict", str(video), "--model", str(tiny_model),
                                             "--timeline", t, "--timeline", t])


def test_os_error_is_one_line(capsys, video, tmp_path, monkeypatch):
    """An OSError that is not a missing file (here: no space left) is one line, not a traceback."""
    import posehar.pose

    def full(*a, **k):
        raise OSError(28, "No space left on device", str(tmp_path / "k.npz"))


    monkeypatch.setattr(posehar.pose, "extract_keypoints", full)
    line = cli_error(capsys, ["pose", str(video), "-o", str(tmp_path / "k.npz"), "--max-frames", "2"])
    assert "No space left" in line


# ------------------------------------------------------------ item 8: numbers checked at parsing
@pytest.mark.parametrize("argv", [
    ["predict", "V", "--stride", "0"], ["predict", "V", "--stride", "-2"],
    ["predict", "V", "--max-frames", "0"], ["predict", "V", "--max-frames", "-5"],
    ["predict", "V", "--top-k", "-1"], ["predict", "V", "--top-k", "0"],
    ["train", "D", "-o", "M", "--epochs", "0"], ["train", "D", "-o", "M", "--epochs", "-3"],
    ["train", "D", "-o", "M", "--cv", "-4"], ["train", "D", "-o", "M", "--cv", "1"],
    ["live", "--max-frames", "0"], ["live", "--smoothing", "0"],
    ["personalize", "M", "C", "-o", "O", "--strength", "nan"],
    ["personalize", "M", "C", "-o", "O", "--strength", "inf"],
    ["personalize", "M", "C", "-o", "O", "--strength", "-1"],
])
def test_bad_numbers_refused_at_parsing(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_split_without_dataset_is_refused(capsys, tiny_model, data3):
    assert "--split" in cli_error(capsys, ["evaluate", str(tiny_model), str(data3), "--split", "7"])


def test_pose_options_on_keypoint_data_are_refused(capsys, data3, tmp_path, no_work):
    line = cli_error(capsys, ["train", str(data3), "-o", str(tmp_path / "m"), "--keypoints", "body", "--stride", "5"])
    assert "--stride" in line


def test_prediction_json_writes_nan_as_null():
    """The report of `predict --json` is always valid JSON (no NaN); checked on a NaN value."""
    from posehar.prediction import ActionPrediction

    r = ActionPrediction("hello", float("nan"), {"hello": float("nan")}, [("hello", float("nan"))], 1, 1.0, 30.0,
                         0.1, "x", "m")
    text = r.to_json()
    assert "NaN" not in text
    assert json.loads(text)["confidence"] is None


def test_people_prediction_json_writes_nan_as_null():
    """`predict --people all --json` too: each person's NaN is null."""
    from posehar.multipose.people import PeoplePrediction, PersonPrediction

    person = PersonPrediction(1, 10, [0, 0, 5, 5], "hello", float("nan"), {"hello": float("nan")},
                              [("hello", float("nan"))], 1.0)
    r = PeoplePrediction("hello", 0.5, {"hello": 0.5}, [("hello", 0.5)], 1, 1.0, 30.0, 0.1, "x", "m", people=[person])
    person_json = json.loads(r.to_json())["people"][0]
    assert person_json["confidence"] is None and person_json["top_k"][0]["probability"] is None


# ------------------------------------------------------------ items 12 and 13: exit codes and messages
def test_live_on_a_source_shorter_than_a_window_answers_once_as_predict_does(capsys, videos, tmp_path):
    """seed_test_6's first 20 frames (under a 2-second window): one event, predict's answer."""
    from test_bad_input import clip_frames, write_video

    short = write_video(tmp_path / "short.mp4", clip_frames(videos / "seed_test_6.mp4", 20))
    assert main(["live", "--source", str(short)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    events = [e for e in lines if e.get("event") == "window"]
    assert len(events) == 1 and events[0]["frames"] == 20
    assert events[0]["label"] == predict_action(short).label == "kick"
    assert main(["live", "--source", str(short), "--people", "all"]) == 0  # everyone's windows alike
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    events = [e for e in lines if e.get("event") == "window"]
    assert len(events) == 1 and [p["id"] for p in events[0]["people"]] == [1] and events[0]["frames"] == 20


def test_interrupted_train_promises_no_resume(capsys, data3, tmp_path, monkeypatch):
    import posehar.training

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(posehar.training, "train_folder", interrupt)
    assert main(["train", str(data3), "-o", str(tmp_path / "m"), "--cv", "0"]) == 130
    err = capsys.readouterr().err
    assert "resume" not in err and "start again" in err


# ------------------------------------------------------------ item 6: small training data
def test_train_on_one_person(capsys, data3, tmp_path):
    for f in data3.glob("p0[23].*"):
        f.unlink()
    assert "at least 2 people" in cli_error(capsys, ["train", str(data3), "-o", str(tmp_path / "m"), "--cv", "0"])


def test_train_on_one_class(capsys, gestures, tmp_path):
    import numpy as np

    data = tmp_path / "one_class"
    data.mkdir()
    for p in ("p01", "p02"):
        with np.load(gestures / f"{p}.npz") as d:
            keep = d["labels"] == "hello"
            np.savez(data / f"{p}.npz", **{k: d[k][keep] for k in d.files})
    assert "at least 2 classes" in cli_error(capsys, ["train", str(data), "-o", str(tmp_path / "m"), "--cv", "0"])


def test_train_default_cv_on_three_people_uses_three_folds(capsys, data3, tmp_path):
    assert main(["train", str(data3), "-o", str(tmp_path / "m"), "--epochs", "1"]) == 0
    captured = capsys.readouterr()
    assert "3 people" in captured.err and "--cv 3" in captured.err
    assert "3-fold" in captured.out


def test_live_jsonl_into_the_default_model_is_refused(capsys, video, tiny_model, tmp_path, monkeypatch):
    models = tmp_path / "models"
    default = Path(shutil.copytree(tiny_model, models / "body_actions"))
    monkeypatch.setenv("POSEHAR_MODELS", str(models))
    before = tree(default)
    line = cli_error(capsys, ["live", "--source", str(video), "--jsonl", str(default / "config.json"),
                              "--max-frames", "2"])
    assert "inside the input model bundle" in line
    assert tree(default) == before


def test_an_output_inside_a_bundle_that_is_not_an_input_is_refused(capsys, video, tiny_model, tmp_path, no_work):
    other = Path(shutil.copytree(tiny_model, tmp_path / "other"))
    before = tree(other)
    line = cli_error(capsys, ["predict", str(video), "--model", str(tiny_model), "--timeline",
                              str(other / "timeline.csv"), "--max-frames", "2"])
    assert "inside the model bundle" in line
    assert tree(other) == before


def test_train_from_a_model_never_replaces_it(capsys, tiny_model, tmp_path, no_work):
    base = Path(shutil.copytree(tiny_model, tmp_path / "base"))
    before = tree(base)
    clips = tmp_path / "clips"
    clips.mkdir()
    line = cli_error(capsys, ["train", str(clips), "--from", str(base), "-o", str(base)])
    assert "is the input" in line
    assert tree(base) == before
