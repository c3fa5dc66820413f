"""Bad input, small training data and outputs (issue 20, items 1, 6, 12): folds that cannot train
are replaced by ones that can (and said) or refused in one line, through DATA and --dataset; a
class only the validation person shows keeps the novelty threshold finite; live's --overlay is
checked before any work; train/personalize -o --force replaces a folder that is not a bundle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from posehar.cli import main

from test_bad_input import cli_error


def small_people(gestures: Path, folder: Path, people=("p01", "p02", "p03"), classes=("hello", "iloveyou"),
                 per_class: int = 1) -> Path:
    """Each person's file cut down to ``per_class`` real sequences of each of ``classes``."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in people:
        with np.load(gestures / f"{p}.npz") as d:
            labels = d["labels"]
            keep = [i for c in classes for i in np.flatnonzero(labels == c)[:per_class]]
            np.savez(folder / f"{p}.npz", **{k: d[k][keep] for k in d.files})
    return folder


def run_ok(capsys, argv: list[str]) -> tuple[str, str]:
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "Traceback" not in captured.err
    return captured.out, captured.err


# ------------------------------------------------------------ item 6: small data, DATA folder
def test_cv_2_on_six_clips_of_three_people(capsys, gestures, tmp_path):
    """--cv 2 on 3 people leaves one fold 1 person to train on: 3 folds are used, and said."""
    data = small_people(gestures, tmp_path / "six")
    out, err = run_ok(capsys, ["train", str(data), "-o", str(tmp_path / "m"), "--cv", "2", "--epochs", "1"])
    assert "--cv 2 on" in err and "would train on 1 person" in err and "using --cv 3" in err
    assert "grouped 3-fold CV" in out and (tmp_path / "m" / "config.json").is_file()


def test_two_people_train_without_cross_validation(capsys, gestures, tmp_path):
    data = small_people(gestures, tmp_path / "two", people=("p01", "p02"))
    out, err = run_ok(capsys, ["train", str(data), "-o", str(tmp_path / "m"), "--epochs", "1"])
    assert "too small to cross-validate" in err and "training without cross-validation" in err
    assert "cross-person accuracy" not in out and (tmp_path / "m" / "config.json").is_file()


def test_fold_with_one_class_is_avoided(capsys):
    """Two people show only hello, two only iloveyou, unevenly: a 2-fold split (as cross_validate makes
    it) trains a fold on hello alone; 3 folds do not."""
    from posehar.cli.train import _fold_problem, choose_cv

    labels = ["hello"] * 3 + ["iloveyou"] * 3
    groups = ["p01", "p02", "p02", "p03", "p04", "p04"]
    assert "1 class (hello)" in _fold_problem(labels, groups, 2) or "1 class (iloveyou)" in _fold_problem(labels, groups, 2)
    assert choose_cv("DATA", labels, groups, 2) == 3
    assert "would train on 1 class" in capsys.readouterr().err


# ------------------------------------------------------------ item 6: small data, --dataset
@pytest.fixture(scope="module")
def small_dataset(videos: Path, tmp_path_factory) -> tuple[Path, Path]:
    """A custom dataset of 4 tiny clips (2 per class, each its own group) and its extracted store."""
    from test_bad_input_extract import raw_clip

    base = tmp_path_factory.mktemp("small_dataset")
    root = base / "root"
    for cls, names in (("kick", ("seed_test_6", "seed_test_7")), ("wave", ("seed_test_8", "seed_test_9"))):
        (root / cls).mkdir(parents=True)
        for n in names:
            raw_clip(videos, n, root / cls / f"{n}.avi")
    assert main(["extract", "custom", str(root), "--out", str(base / "store"), "--max-frames", "3", "--quiet"]) == 0
    return root, base / "store"


def dataset_argv(root: Path, store: Path, out: Path, *more: str) -> list[str]:
    return ["train", "--dataset", "custom", "--root", str(root), "--store", str(store), "--max-frames", "3",
            "-o", str(out), "--epochs", "1", *more]


def test_dataset_with_fewer_groups_than_folds(capsys, small_dataset, tmp_path):
    root, store = small_dataset
    out, err = run_ok(capsys, dataset_argv(root, store, tmp_path / "m"))
    assert "has 4 people, fewer than --cv 5 folds; using --cv 4" in err and "grouped 4-fold CV" in out


def test_dataset_too_small_to_cross_validate(capsys, small_dataset, tmp_path):
    """custom has no test split, so CV is its only figure: 3 clips of 2 classes cannot give one."""
    root, store = small_dataset
    small = Path(shutil.copytree(root, tmp_path / "root"))
    (small / "wave" / "seed_test_9.avi").unlink()
    line = cli_error(capsys, dataset_argv(small, store, tmp_path / "m"))
    assert "too small to cross-validate" in line and "would train on 1 class" in line
    assert not (tmp_path / "m").exists()


def test_dataset_of_one_group_is_refused():
    """All clips of one person (a groups file naming one person): refused, not a sklearn ValueError."""
    from posehar.cli.train import choose_cv
    from posehar.errors import PoseharError

    with pytest.raises(PoseharError, match="all of 1 person"):
        choose_cv("custom at R", ["kick", "kick", "wave", "wave"], ["alice"] * 4, 2, required=True)


# ------------------------------------------------------------ item 12: novelty threshold, live --overlay
def test_class_only_in_the_validation_person_keeps_novelty_finite(gestures, tmp_path):
    from posehar.bundle import load_model, save_model
    from posehar.classifier import PoseActionClassifier
    from posehar.sequence import load_batch

    X, y, g = [], [], []
    for p in ("p01", "p02", "p03", "p04"):
        for s in load_batch(gestures / f"{p}.npz"):
            if s.label in ("hello", "thanks") or (p == "p04" and s.label == "iloveyou"):
                X.append(s), y.append(s.label), g.append(p)
    clf = PoseActionClassifier(epochs=1, random_state=1, verbose=False)
    _, val, because = clf._split(np.searchsorted(np.unique(y), y), np.asarray(g), np.random.default_rng(1))
    # The drawn validation person is p04, the only one with iloveyou: rather than validate on a class
    # the training people lack (no centroid: a NaN threshold), the fit trains on everyone.
    assert len(val) == 0 and "a class no other person shows" in because
    clf.fit(X, y, g)
    assert clf.history_["nobody_held_out_because"] == because
    assert np.isfinite(clf.novelty_threshold_) and clf.novelty_threshold_ > 0
    save_model(clf, tmp_path / "m")
    text = (tmp_path / "m" / "config.json").read_text()
    assert "NaN" not in text
    assert load_model(tmp_path / "m").novelty_threshold_ == pytest.approx(clf.novelty_threshold_)


@pytest.mark.parametrize("name, says", [
    ("o.avi", "must end in .mp4"),
    ("o", "must end in .mp4"),
    ("/proc/posehar_o.mp4", "cannot write"),
    ("file.txt/o.mp4", "cannot write"),
], ids=["avi", "no-suffix", "read-only-fs", "under-a-file"])
def test_live_bad_overlay_fails_before_work(capsys, videos, tmp_path, tiny_model, monkeypatch, name, says):
    import posehar.live

    def boom(*a, **k):
        raise AssertionError("live started before --overlay was checked")

    monkeypatch.setattr(posehar.live, "run_live", boom)
    (tmp_path / "file.txt").write_text("x")
    target = name if name.startswith("/") else str(tmp_path / name)
    line = cli_error(capsys, ["live", "--source", str(videos / "seed_test_6.mp4"), "--model", str(tiny_model),
                              "--overlay", target, "--max-frames", "40"])
    assert says in line
    assert not Path(target).exists() or Path(target).is_dir()


# ------------------------------------------------------------ item 1: -o --force
def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_train_force_replaces_what_is_not_a_bundle(capsys, gestures, tmp_path, kind):
    data = small_people(gestures, tmp_path / "six")
    target = tmp_path / "out" / "m"
    target.parent.mkdir()
    if kind == "folder":
        target.mkdir()
        (target / "notes.txt").write_text("mine")
    else:
        target.write_text("mine")
    argv = ["train", str(data), "-o", str(target), "--cv", "0", "--epochs", "1"]
    assert "--force" in cli_error(capsys, argv)  # without it: refused, and said how
    assert (target / "notes.txt").is_file() if kind == "folder" else target.read_text() == "mine"
    run_ok(capsys, [*argv, "--force"])
    assert (target / "config.json").is_file() and not (target / "notes.txt").exists()
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("where", ["data", "above-data", "cwd", "parent-of-cwd", "home"])
def test_force_never_replaces_inputs_cwd_or_home(capsys, gestures, tmp_path, monkeypatch, where):
    data = small_people(gestures, tmp_path / "top" / "six")
    cwd = tmp_path / "top" / "work"
    cwd.mkdir()
    (cwd / "mine.txt").write_text("mine")
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(cwd))
    target = {"data": data, "above-data": data.parent, "cwd": Path("."), "parent-of-cwd": Path(".."),
              "home": cwd}[where]
    import posehar.training

    monkeypatch.setattr(posehar.training, "PoseActionClassifier",
                        lambda *a, **k: pytest.fail("training started before -o was checked"))
    line = cli_error(capsys, ["train", str(data), "-o", str(target), "--cv", "0", "--force"])
    assert "refusing" in line
    assert (cwd / "mine.txt").read_text() == "mine" and len(list(data.glob("*.npz"))) == 3


def test_personalize_force_checks_before_work(capsys, tiny_model, tmp_path, monkeypatch):
    clips = tmp_path / "clips"
    clips.mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    line = cli_error(capsys, ["personalize", str(tiny_model), str(clips), "-o", ".", "--force"])
    assert "current folder" in line


def test_save_model_force(tiny_model, tmp_path):
    from posehar.bundle import forcing, load_model, save_model
    from posehar.outputs import OutputPathError

    clf = load_model(tiny_model)
    target = tmp_path / "m"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputPathError, match="--force"):
        save_model(clf, target)
    with forcing(target):  # what train --force wraps around the training functions that save
        save_model(clf, target)
    assert (target / "config.json").is_file() and not (target / "notes.txt").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("cv", ["0", "5"])
def test_skeleton_set_of_one_person_is_refused(capsys, shared, tmp_path, cv):
    """The NTU sample holds one performer: a one-line error with or without cross-validation."""
    line = cli_error(capsys, ["train", str(shared / "skeletons" / "ntu60_p001.npz"), "-o", str(tmp_path / "m"),
                              "--cv", cv])
    assert "holds 1 person's recordings" in line and "ntu60_p001.npz" in line
    assert not (tmp_path / "m").exists()


def test_keypoint_files_of_one_subject_count_as_one_person(capsys, gestures, tmp_path):
    """Two files whose sidecars name the same subject are one person, as training groups them."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("p01a", "p01b"):
        shutil.copy(gestures / "p01.npz", data / f"{name}.npz")
        (data / f"{name}.json").write_text(json.dumps({"subject": "p01"}))
    line = cli_error(capsys, ["train", str(data), "-o", str(tmp_path / "m"), "--cv", "0"])
    assert "holds 1 person's recordings" in line


def test_without_groups_too_few_sequences_a_class_trains_on_everyone(gestures):
    """Held-out sequences stratified by class need 2 of each class and room for one of each on both sides."""
    from posehar.classifier import PoseActionClassifier
    from posehar.sequence import load_batch

    batch = load_batch(gestures / "p01.npz")
    X = [s for s in batch if s.label == "hello"][:6] + [next(s for s in batch if s.label == "thanks")]
    clf = PoseActionClassifier(epochs=1, hands=False, verbose=False).fit(X, [s.label for s in X])
    assert clf.history_["nobody_held_out_because"].startswith("too few sequences a class")
    assert clf.predict(X[:2]).shape == (2,)
