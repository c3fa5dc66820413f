"""Training on skeleton sets: the vocabulary, `posehar train SET.npz`, `evaluate`, and teaching new actions."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posehar.bundle import load_model
from posehar.datasets.skeleton_file import SkeletonFile
from posehar.features import FeatureConfig
from posehar.sequence import KeypointSequence
from posehar.vocabulary import DEFAULT_VOCABULARY, read_vocabulary, set_labels

PROJECT = Path(__file__).resolve().parents[1]


def posehar(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posehar", *args], capture_output=True, text=True, cwd=cwd)


def test_vocabulary_covers_every_label_of_every_shared_set_once(shared):
    rows = list(csv.DictReader(DEFAULT_VOCABULARY.open(encoding="utf-8")))
    seen = {(r["set"], r["source_label"]) for r in rows}
    assert len(seen) == len(rows), "a (set, label) is listed twice"
    for f in sorted((shared / "skeletons").glob("*.npz")):
        if f.stem == "g3d_streams":
            continue  # whole recordings, not labelled clips
        labels = set(np.load(f, allow_pickle=False)["labels"].astype(str))
        assert {lab for s, lab in seen if s == f.stem} == labels, f.stem
    vocab = read_vocabulary()
    merged = {lab for m in vocab.values() for lab in m.values()}
    assert not any("left" in lab or "right" in lab for lab in merged)  # one rule: sides merged
    assert vocab["g3d"]["PunchRight"] == vocab["g3d"]["PunchLeft"] == vocab["utd_mhad"]["front boxing"] == "punch"
    assert vocab["msrc12"]["G12 kick"] == vocab["g3d"]["KickRight"] == "kick"
    assert "G4 goggles (put on night vision goggles)" not in vocab["msrc12"]
    assert set_labels(vocab, "/data/held_out/g3d_test_people.npz") is vocab["g3d"]


@pytest.fixture(scope="module")
def small_set(shared, tmp_path_factory) -> Path:
    """Four G3D classes of all seven actors, in the shared format, as a user's own file would be."""
    src = np.load(shared / "skeletons" / "g3d.npz", allow_pickle=False)
    keep = np.flatnonzero(np.isin(src["labels"], ["Clap", "KickRight", "Wave", "Crouch"]))
    joints, offsets = [], [0]
    for i in keep:
        part = src["joints"][src["offsets"][i]:src["offsets"][i + 1]]
        joints.append(part)
        offsets.append(offsets[-1] + len(part))
    path = tmp_path_factory.mktemp("skel") / "my_kinect_actions.npz"
    np.savez(path, joints=np.concatenate(joints), offsets=np.array(offsets), joint_names=src["joint_names"],
             labels=src["labels"][keep], subjects=src["subjects"][keep], fps=src["fps"])
    return path


def test_a_model_of_several_sets_is_reproduced_by_its_cards_command(small_set, tmp_path):
    """The model card's Reproduce command (seed included) gives the same model again."""
    import json
    import shlex

    sets = tmp_path / "sets"
    sets.mkdir()
    shutil.copy(small_set, sets / "g3d.npz")  # named as the vocabulary knows it
    r = posehar("train", str(sets), "-o", "m", "--cv", "0", "--epochs", "1", "--seed", "3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    command = json.loads((tmp_path / "m" / "config.json").read_text())["training"]["command"]
    assert f"Reproduce: `{command}`" in (tmp_path / "m" / "README.md").read_text()
    assert command == f"posehar train {sets} -o m --cv 0 --epochs 1 --seed 3"
    again = tmp_path / "again"
    again.mkdir()
    r = posehar(*shlex.split(command)[1:], cwd=again)
    assert r.returncode == 0, r.stderr
    assert (again / "m" / "encoder.safetensors").read_bytes() == (tmp_path / "m" / "encoder.safetensors").read_bytes()


def test_train_and_evaluate_a_skeleton_file_from_the_command_line(small_set, tmp_path):
    out = tmp_path / "m"
    r = posehar("train", str(small_set), "-o", str(out), "--cv", "2", "--epochs", "3")
    assert r.returncode == 0, r.stderr
    assert "cross-person accuracy (grouped 2-fold CV by subject" in r.stdout
    assert (out / "config.json").is_file()
    r = posehar("evaluate", str(out), str(small_set), "--confusion", str(tmp_path / "c.png"))
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("accuracy: "))
    assert float(line.split()[1]) > 0.5  # four classes, seen people, three epochs
    assert (tmp_path / "c.png").stat().st_size > 0
    # Kinect v1 tracks hands and feet, so the model reads them; a MediaPipe recording gives them too
    model = load_model(out)
    assert model.layout == "common_body_hands_feet" and model.n_features_in_ == FeatureConfig(
        "common_body_hands_feet", hands=False, root_motion=True, depth=True).dim()
    webcam = KeypointSequence.load(PROJECT / "examples" / "keypoints" / "p48_thanks.npz")
    assert model.predict([webcam])[0] in model.classes_


def test_training_views_and_the_common_body_reach_the_model(small_set):
    from posehar.classifier import PoseActionClassifier
    from posehar.skeleton_training import BODY_PARAMS, skeleton_sequences

    sf = SkeletonFile(small_set)
    X, y, groups = skeleton_sequences(sf, views=2, seed=0)
    assert len(X) == 3 * len(sf) and all(s.layout == "common_body" for s in X)
    assert not np.allclose(X[0].pose, X[1].pose)  # a virtual viewpoint, not a copy
    assert groups[0] == groups[1] == f"my_kinect_actions:{sf.subjects[0]}"
    clf = PoseActionClassifier(**BODY_PARAMS, epochs=2, verbose=False)
    assert clf._feature_config().root_motion and not clf._feature_config().hands


body_actions = pytest.mark.skipif(not (PROJECT / "models" / "body_actions" / "config.json").is_file(),
                                  reason="models/body_actions is not built")


@body_actions
def test_teach_new_actions_from_five_clips_of_people_then_read_other_people(shared):
    """MSRC-12 gestures the body_actions encoder was never taught (goggles, wind it up, ...): 5 clips per
    class from 10 people, scored on the other 10."""
    from posehar.fewshot import fit_from
    from posehar.models import get_model

    sf = SkeletonFile(shared / "skeletons" / "msrc12.npz")
    people = sorted(set(sf.subjects))
    rng = np.random.default_rng(0)
    teach_people = set(people[::2])
    classes = sorted(set(sf.labels))
    train, test = [], []
    for c in classes:
        pool = np.flatnonzero((sf.labels == c) & np.isin(sf.subjects, list(teach_people)))
        train += list(rng.choice(pool, 5, replace=False))
        test += list(rng.choice(np.flatnonzero((sf.labels == c) & ~np.isin(sf.subjects, list(teach_people))), 20,
                                replace=False))
    model, record = fit_from("body_actions", [sf.sequence(int(i)) for i in train], sf.labels[train], cv=0)
    assert model.classes_.tolist() == classes and record["clips"] == 5 * len(classes)
    # The taught head reads the pyramid of the per-frame layer's max on the same encoder, whatever body_actions' reads.
    base = get_model("body_actions")
    assert model.encoder_.frame_max == model.frame_max == 2 and model.encoder_.vector_dim == 192 * 5
    some = [sf.sequence(int(i)) for i in test[:3]]
    pooled = base.encoder_.pooled_dim
    np.testing.assert_allclose(model.transform(some)[:, :pooled], base.transform(some)[:, :pooled], rtol=0, atol=1e-6)
    pred = model.predict([sf.sequence(int(i)) for i in test])
    accuracy = float(np.mean(pred == sf.labels[test]))
    assert accuracy > 0.6, accuracy  # 12 classes: chance is 0.08


@body_actions
def test_teach_from_a_clip_folder_on_the_command_line(shared, tmp_path):
    sf = SkeletonFile(shared / "skeletons" / "utd_mhad.npz")
    clips = tmp_path / "clips"
    chosen = {"draw triangle": [], "right hand knock on door": []}
    for c in chosen:
        for i in np.flatnonzero(sf.labels == c)[:5]:
            (clips / c.replace(" ", "_")).mkdir(parents=True, exist_ok=True)
            sf.sequence(int(i)).save(clips / c.replace(" ", "_") / f"clip{i}.npz")
            chosen[c].append(i)
    r = posehar("train", str(clips), "--from", "body_actions", "-o", str(tmp_path / "mine"))
    assert r.returncode == 0, r.stderr
    assert "taught 2 actions from 10 clips" in r.stdout and "cross-validated accuracy" in r.stdout
    card = (tmp_path / "mine" / "README.md").read_text()
    assert f"`{clips}`: 10 clips" in card and f"Reproduce: `posehar train {clips} -o mine --from body_actions`" in card
    assert "Cross-validated accuracy on the clips" in card
    assert "training sequences" not in card and "Per set" not in card  # body_actions' own data and figures are not its
    r = posehar("evaluate", str(tmp_path / "mine"), str(clips), "--confusion", str(tmp_path / "c.png"))
    assert r.returncode == 0, r.stderr
    # Without a groups file each clip would count as a person of its own: no seen / unseen split is made.
    assert "accuracy: " in r.stdout and "the clips' people are not known" in r.stdout
    assert "cross-validated accuracy on the taught clips (" in r.stdout  # the figure the teaching printed
    assert "people seen in training" not in r.stdout and "people NOT seen" not in r.stdout
    groups = tmp_path / "groups.csv"
    groups.write_text("".join(f"{c.replace(' ', '_')}/clip{i}.npz,{sf.subjects[i]}\n" for c in chosen for i in chosen[c]))
    r = posehar("train", str(clips), "--from", "body_actions", "-o", str(tmp_path / "ours"), "--groups", str(groups))
    assert r.returncode == 0, r.stderr
    r = posehar("evaluate", str(tmp_path / "ours"), str(clips), "--groups", str(groups),
                "--confusion", str(tmp_path / "g.png"))
    people = len({sf.subjects[i] for c in chosen for i in chosen[c]})
    assert r.returncode == 0 and f"people seen in training ({people}; NOT a cross-person figure)" in r.stdout, r.stderr
    other = tmp_path / "other"
    shutil.copytree(clips, other)
    (other / "two_hand_front_clap").mkdir()
    for i in np.flatnonzero(sf.labels == "two hand front clap")[:2]:
        sf.sequence(int(i)).save(other / "two_hand_front_clap" / f"clip{i}.npz")
    r = posehar("evaluate", str(tmp_path / "mine"), str(other), "--confusion", str(tmp_path / "c2.png"))
    assert r.returncode == 0, r.stderr
    assert ("2 of them are of classes this model does not have, counted as wrong and in no row below: "
            "two_hand_front_clap (2)") in r.stdout
    one = tmp_path / "one"
    shutil.copytree(clips, one)
    for extra in sorted((one / "draw_triangle").iterdir())[1:]:
        extra.unlink()
    r = posehar("train", str(one), "--from", "body_actions", "-o", str(tmp_path / "few"))
    assert r.returncode == 0, r.stderr
    assert "no cross-validated accuracy (draw_triangle has 1 clip)" in r.stderr and "fewer than 5 clips" in r.stderr
    other = int(np.flatnonzero(sf.labels == "draw triangle")[-1])
    sf.sequence(other).save(tmp_path / "new.npz")
    r = posehar("predict", str(tmp_path / "new.npz"), "--model", str(tmp_path / "mine"), "--json")
    assert r.returncode == 0, r.stderr
    assert '"label": "draw_triangle"' in r.stdout or '"label": "unknown"' in r.stdout


def test_original_format_dataset_trains_and_evaluates_without_a_store(shared, tmp_path):
    root = shared / "skeletons" / "original_samples" / "nw_ucla"
    out = tmp_path / "ucla"
    r = posehar("train", "--dataset", "nw_ucla", "--root", str(root), "-o", str(out), "--epochs", "2")
    assert r.returncode == 0, r.stderr
    assert "nw_ucla split 1 (cross-view" in r.stdout and "test accuracy" in r.stdout
    # the recorded training clips are counted, and the virtual viewpoints said apart
    assert "2 sequences (each 3D recording also seen from 4 extra viewpoints)" in r.stdout, r.stdout
    r = posehar("evaluate", str(out), "--dataset", "nw_ucla", "--root", str(root), "--confusion", str(tmp_path / "c.png"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("accuracy: ") and "test accuracy recorded at training (" in r.stdout
    r = posehar("train", "--dataset", "nw_ucla", "--root", str(root), "-o", str(tmp_path / "s5"), "--split", "5")
    assert r.returncode == 2 and r.stderr.strip().endswith("split 5 is not one of its splits"), r.stderr
    kinder = shared / "skeletons" / "original_samples" / "kinder_gator"  # one adult, two children
    r = posehar("train", "--dataset", "kinder_gator", "--root", str(kinder), "-o", str(tmp_path / "k"),
                "--set", "protocol=adults_to_children")
    assert r.returncode == 2 and "the training part of kinder_gator" in r.stderr and "holds 1 person's" in r.stderr
    r = posehar("train", str(kinder), "-o", str(tmp_path / "k"), "--set", "protocol=adults_to_children")
    assert r.returncode == 2 and "--set only apply with --dataset" in r.stderr, r.stderr
    r = posehar("train", "--dataset", "ucf101", "--root", str(tmp_path), "-o", str(tmp_path / "v"))
    assert r.returncode != 0 and "error" in r.stderr and "Traceback" not in r.stderr


def _clips_of(sf, wanted: dict[str, tuple[str, ...]], per: int = 2) -> list[int]:
    """Rows of ``sf``: ``per`` clips of each class listed for each subject."""
    rows = []
    for subject, classes in wanted.items():
        for c in classes:
            rows += [int(i) for i in np.flatnonzero((sf.labels == c) & (sf.subjects == subject))[:per]]
    return rows


@body_actions
@pytest.mark.parametrize("other", ["right hand knock on door", "jogging in place"])
def test_teach_when_a_class_was_recorded_by_only_some_people(shared, other):
    """Grouped cross-validation where one person recorded a class nobody else did: the fold without
    that person never predicts it, and the figure covers every clip. With labels that name no side
    (jogging in place) prediction also averages each clip with its mirror image."""
    from posehar.fewshot import fit_from

    sf = SkeletonFile(shared / "skeletons" / "utd_mhad.npz")
    a, b = sorted(set(sf.subjects))[:2]
    rows = _clips_of(sf, {a: ("draw triangle", other, "two hand front clap"), b: (other, "two hand front clap")})
    model, record = fit_from("body_actions", [sf.sequence(i) for i in rows], sf.labels[rows],
                             groups=sf.subjects[rows].tolist(), cv=2)
    assert model.classes_.tolist() == sorted(["draw triangle", other, "two hand front clap"])
    assert (model.mirror_class_ is not None) == (other == "jogging in place")
    assert record["cross_validation"]["folds"] == 2 and record["cross_validation"]["grouped"]
    assert 0.0 <= record["cross_validation"]["accuracy"] <= 0.8  # person a's triangles are never right


@body_actions
def test_teach_falls_back_to_stratified_folds_where_a_person_recorded_one_class(shared):
    from posehar.fewshot import fit_from

    sf = SkeletonFile(shared / "skeletons" / "utd_mhad.npz")
    a, b = sorted(set(sf.subjects))[:2]
    rows = _clips_of(sf, {a: ("draw triangle",), b: ("draw triangle", "two hand front clap")})
    _, record = fit_from("body_actions", [sf.sequence(i) for i in rows], sf.labels[rows],
                         groups=sf.subjects[rows].tolist(), cv=5)
    # Grouped folds would train one fold on person a's triangles alone.
    assert record["cross_validation"]["folds"] == 2 and not record["cross_validation"]["grouped"]


@body_actions
def test_teach_refuses_clips_it_cannot_learn_from(shared):
    import dataclasses

    from posehar.errors import PoseharError
    from posehar.fewshot import fit_from

    sf = SkeletonFile(shared / "skeletons" / "utd_mhad.npz")
    rows = _clips_of(sf, {sorted(set(sf.subjects))[0]: ("draw triangle", "two hand front clap")})
    X, y = [sf.sequence(i) for i in rows], sf.labels[rows]
    with pytest.raises(PoseharError, match="'unknown' cannot be a class"):
        fit_from("body_actions", X, np.where(y == "draw triangle", "unknown", y))
    with pytest.raises(PoseharError, match="X has 4 clips but y has 3 labels"):
        fit_from("body_actions", X, y[:3])
    nobody = dataclasses.replace(X[0], pose_present=np.zeros(len(X[0]), bool), source="empty.npz")
    with pytest.raises(PoseharError, match="no person found in any of the .* frames of empty.npz"):
        fit_from("body_actions", [nobody] + X[1:], y)


@body_actions
def test_one_short_clip_a_class_still_gives_a_novelty_threshold(shared, tmp_path):
    """One window a class and no mirror images: every clip is its class's centre, so the clips' own
    spread is 0 and the threshold comes from how far apart the classes are."""
    from posehar.bundle import load_model, save_model
    from posehar.fewshot import fit_from

    sf = SkeletonFile(shared / "skeletons" / "utd_mhad.npz")
    rows = _clips_of(sf, {sorted(set(sf.subjects))[0]: ("draw triangle", "right hand wave")}, per=1)
    X = [sf.sequence(i).slice(0, 40) for i in rows]
    model, _ = fit_from("body_actions", X, sf.labels[rows], cv=0)
    assert model.mirror_class_ is None and 0 < model.novelty_threshold_ < np.inf
    assert model.predict(X).tolist() == sf.labels[rows].tolist()  # not 'unknown'
    save_model(model, tmp_path / "m")
    assert load_model(tmp_path / "m").novelty_threshold_ == model.novelty_threshold_


@body_actions
def test_encoder_from_starts_from_its_weights_and_leaves_the_model_as_it_was(small_set):
    import torch

    from posehar.classifier import PoseActionClassifier
    from posehar.models import get_model
    from posehar.skeleton_training import BODY_PARAMS, skeleton_sequences

    base = get_model("body_actions")
    before = {k: v.clone() for k, v in base.encoder_.state_dict().items()}
    X, y, groups = skeleton_sequences(SkeletonFile(small_set), views=0, seed=0)
    still = dict(BODY_PARAMS, epochs=1, learning_rate=1e-9, verbose=False)  # the weights barely move
    tuned = PoseActionClassifier(**still, encoder_from=base).fit(X, y, groups)
    scratch = PoseActionClassifier(**still).fit(X, y, groups)
    gru = "gru.weight_hh_l0"
    assert torch.allclose(tuned.encoder_.state_dict()[gru], before[gru], atol=1e-5)
    assert not torch.allclose(scratch.encoder_.state_dict()[gru], before[gru], atol=1e-2)
    # Its own head (4 classes, not body_actions' 39) and its own feature standardisation.
    assert tuned.encoder_.head.out_features == 4 and tuned.classes_.tolist() == ["Clap", "Crouch", "KickRight", "Wave"]
    assert not torch.allclose(tuned.encoder_.feature_mean, before["feature_mean"])
    assert all(torch.equal(v, before[k]) for k, v in base.encoder_.state_dict().items())


@body_actions
def test_fine_tune_from_the_command_line(small_set, tmp_path):
    import json

    r = posehar("train", str(small_set), "-o", str(tmp_path / "m"), "--cv", "0", "--epochs", "1",
                "--fine-tune", "body_actions")
    assert r.returncode == 0, r.stderr
    record = json.loads((tmp_path / "m" / "config.json").read_text())["training"]["fine_tuned_from"]
    assert record["classes"] == len(json.loads((PROJECT / "models" / "body_actions" / "config.json").read_text())["classes"])
    assert "posehar train" in record["command"]
    assert "**Fine-tuned**" in (tmp_path / "m" / "README.md").read_text()


@body_actions
def test_fine_tune_refuses_what_it_cannot_start_from(shared, small_set, tmp_path):
    r = posehar("train", str(shared / "keypoints" / "mp_gestures"), "-o", str(tmp_path / "m"), "--cv", "0",
                "--fine-tune", "body_actions")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "common_body" in r.stderr and "mediapipe_pose" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = posehar("train", str(small_set), "-o", str(tmp_path / "m"), "--fine-tune", "body_actions", "--from", "body_actions")
    assert r.returncode == 2 and "not with --from" in r.stderr
    import shutil

    base = tmp_path / "base"
    shutil.copytree(PROJECT / "models" / "body_actions", base)
    digest = (base / "config.json").read_bytes()
    r = posehar("train", str(small_set), "-o", str(base), "--force", "--fine-tune", str(base))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "input" in r.stderr
    assert (base / "config.json").read_bytes() == digest


def test_evaluate_refuses_an_empty_test_part_instead_of_scoring_the_training_people(shared, tmp_path):
    root = shared / "skeletons" / "original_samples" / "msrc12"  # 2 people: folds beyond 2 test nobody
    r = posehar("evaluate", "body_actions", "--dataset", "msrc12", "--root", str(root), "--split", "3",
                "--confusion", str(tmp_path / "c.png"))
    assert r.returncode == 2 and r.stderr.strip().endswith("msrc12 split 3: its test part holds no samples"), r.stderr
    src = np.load(shared / "skeletons" / "g3d.npz", allow_pickle=False)
    keep = np.flatnonzero(src["labels"] == "Clap")[:6]  # a few clips, in a file named as the set it comes from
    parts = [src["joints"][src["offsets"][i]:src["offsets"][i + 1]] for i in keep]
    np.savez(tmp_path / "g3d.npz", joints=np.concatenate(parts), offsets=np.cumsum([0] + [len(p) for p in parts]),
             joint_names=src["joint_names"], labels=src["labels"][keep], subjects=src["subjects"][keep], fps=src["fps"])
    r = posehar("evaluate", "body_actions", str(tmp_path / "g3d.npz"), "--json", "--confusion", str(tmp_path / "c.png"))
    assert r.returncode == 0, r.stderr  # the shipped model's per-set figures recorded at its training come along
    assert "6 of 6 sequences have labels the vocabulary maps" in r.stderr  # stdout is the JSON report alone
    assert any(line.startswith("held-out people's accuracy recorded at training") and "g3d 0.9" in line
               for line in json.loads(r.stdout)["recorded_at_training"])
    r = posehar("evaluate", "body_actions", str(shared / "skeletons" / "g3d.npz"), "--groups", str(tmp_path / "g.csv"),
                "--confusion", str(tmp_path / "c.png"))
    assert r.returncode == 2 and "--groups applies to a clip folder" in r.stderr, r.stderr
