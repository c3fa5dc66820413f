"""The skeleton benchmarks' splits: each set's protocol as published, no person on both sides where it is by person."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import fewshot_sets  # noqa: E402
import set_encoders  # noqa: E402
import skeleton_protocols  # noqa: E402


@pytest.fixture(autouse=True)
def _shared(shared, monkeypatch):
    monkeypatch.setattr(skeleton_protocols, "SKELETONS", shared / "skeletons")
    monkeypatch.setattr(fewshot_sets, "SKELETONS", shared / "skeletons")
    monkeypatch.setattr(set_encoders, "SKELETONS", shared / "skeletons")


@pytest.mark.parametrize("name", ["g3d_xsub", "msrc12", "kinder_gator", "kinder_adults_children", "utd_mhad", "yoga"])
def test_protocols_by_person_never_share_a_person(name):
    sf, splits = skeleton_protocols.protocol(name, seed=0, folds=5)
    tested = set()
    for _, train, test in splits:
        assert not set(sf.subjects[train]) & set(sf.subjects[test])
        tested |= set(test.tolist())
    if name in ("g3d_xsub", "msrc12", "kinder_gator", "yoga"):
        assert tested == set(range(len(sf)))  # every sequence tested once over the folds


def test_published_protocols():
    sf, [(_, train, test)] = skeleton_protocols.protocol("utd_mhad", 0, 5)
    assert {int(s.strip("s")) % 2 for s in sf.subjects[train]} == {1} and {int(s.strip("s")) % 2 for s in sf.subjects[test]} == {0}
    sf, [(_, train, test)] = skeleton_protocols.protocol("g3d_seed", 0, 5)
    assert set(sf.labels[train]) == set(skeleton_protocols.SEED_CLASSES)
    assert abs(len(test) / (len(train) + len(test)) - 0.2) < 0.01
    sf, [(_, train, test)] = skeleton_protocols.protocol("kinder_adults_children", 0, 5)
    assert all(g.startswith("adult") for g in sf.extra["groups"][train].astype(str))
    assert all(g.startswith("child") for g in sf.extra["groups"][test].astype(str))


def test_fewshot_draws_k_clips_per_class_from_people_it_does_not_test_on():
    from posehar.datasets.skeleton_file import SkeletonFile

    sf = SkeletonFile(fewshot_sets.SKELETONS / "utd_mhad.npz")
    enrol, test = fewshot_sets.people_halves(sf, 0)
    assert not set(sf.subjects[enrol]) & set(sf.subjects[test])
    shots = fewshot_sets.shots(sf, enrol, 5, 0)
    counts = np.unique(sf.labels[shots], return_counts=True)[1]
    assert set(counts) == {5} and set(shots) <= set(enrol)


@pytest.mark.parametrize("name", ["g3d_seed", "g3d_xsub", "msrc12", "utd_mhad", "nw_ucla", "penn", "jhmdb"])
def test_inner_splits_choose_on_training_indices_only(name):
    """--inner: settings are chosen on a split of a protocol's training portion; its test people never take part."""
    sf, splits = skeleton_protocols.protocol(name, seed=0, folds=5)
    _, train, test = splits[0]
    _, fit_on, scored_on = skeleton_protocols.inner_split(name, sf, train, seed=0)
    assert len(fit_on) and len(scored_on) and not set(fit_on) & set(scored_on)
    assert set(fit_on) | set(scored_on) == set(train)
    if name == "nw_ucla":  # cross-view, as the protocol
        views = sf.extra["views"].astype(str)
        assert len(set(views[fit_on])) == len(set(views[scored_on])) == 1 != len(set(views[fit_on]) | set(views[scored_on]))
    elif name != "g3d_seed":  # by person, as the protocol
        assert not set(sf.subjects[fit_on]) & set(sf.subjects[scored_on])


def test_fewshot_inner_split_stays_inside_the_enrolment_people():
    from posehar.datasets.skeleton_file import SkeletonFile

    sf = SkeletonFile(fewshot_sets.SKELETONS / "msrc12.npz")
    enrol, test = fewshot_sets.people_halves(sf, 0)
    clips_from, scored_on = fewshot_sets.people_halves(sf, 1, among=enrol)
    assert set(clips_from) | set(scored_on) == set(enrol)
    assert not set(sf.subjects[clips_from]) & set(sf.subjects[scored_on])
    assert not (set(sf.subjects[clips_from]) | set(sf.subjects[scored_on])) & set(sf.subjects[test])


def test_variants_table_pools_each_seeds_folds_and_pairs_variants_with_base():
    def rec(tag, seed, split, accuracy, n):
        r = {"protocol": "msrc12", "model": "posehar", "seed": seed, "split": split, "accuracy": accuracy, "n_test": n,
             "fit_seconds": 1.0}
        return {**r, "tag": tag} if tag else r

    records = [rec("", 0, "fold 1", 1.0, 30), rec("", 0, "fold 2", 0.5, 10),     # base: 35 of 40 = 0.875
               rec("wide", 0, "fold 1", 1.0, 30), rec("wide", 0, "fold 2", 1.0, 10)]  # variant: 40 of 40
    table = skeleton_protocols.variants_table(records)
    assert "| msrc12 | the protocol | 0.875 | 1.000 |" in table
    assert "+0.125 (1 pairs)" in table
    # The protocols' table holds the untagged runs of the protocol only: neither a variant nor an inner
    # split's run mixes into posehar's figure.
    records.append(rec("", 1, "inner: half the training people -> the other half", 0.0, 40))
    rows = "\n".join(line for line in skeleton_protocols.table(records).splitlines() if line.startswith("| msrc12"))
    assert "| 0.875 |" in rows and "0.938" not in rows and "1.000" not in rows


def test_posehar_records_how_often_new_inputs_are_answered_unknown():
    """unknown_share is the share of sequences `posehar predict` answers 'unknown': low on the protocol's
    own test clips, high on another set's (Penn Action's 2D sports clips to a G3D gaming model)."""
    from posehar.datasets.skeleton_file import SkeletonFile

    sf, [(_, train, test)] = skeleton_protocols.protocol("g3d_seed", 0, 5)
    model = skeleton_protocols.make("posehar", 0, 0, {"epochs": 3, "hidden_size": 32}).fit(sf, train, 0)
    penn = SkeletonFile(skeleton_protocols.SKELETONS / "penn_action.npz")
    own, other = model.unknown_share(sf, test), model.unknown_share(penn, np.arange(0, len(penn), 40))
    assert own < 0.3 < 0.8 < other


def test_a_variant_without_a_tag_is_refused(capsys):
    """--params records without --tag would be skipped as done, or pass for the default's figures."""
    with pytest.raises(SystemExit) as stop:
        skeleton_protocols.main(["--params", '{"hidden_size": 256}', "--protocols", "utd_mhad"])
    assert stop.value.code == 2 and "needs --tag" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        skeleton_protocols.main(["--fine-tune", "--protocols", "utd_mhad"])
    assert stop.value.code == 2 and "needs --tag" in capsys.readouterr().err


def test_fewshot_table_keeps_inner_and_benchmark_records_apart(tmp_path, capsys):
    rec = {"set": "g3d", "seed": 0, "shots": 5, "model": "posehar", "n_train": 1, "n_test": 1}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({**rec, "accuracy": 0.5}) + "\n" + json.dumps({**rec, "accuracy": 0.9, "inner": True}) + "\n")
    fewshot_sets.main(["--table", str(path)])
    assert "| g3d | 0.500 |" in capsys.readouterr().out
    fewshot_sets.main(["--table", str(path), "--inner"])
    assert "| g3d | 0.900 |" in capsys.readouterr().out


def test_the_leave_one_set_out_encoder_trains_on_every_other_set_only(monkeypatch, tmp_path):
    linked = {}
    monkeypatch.setattr(set_encoders, "train_skeleton_sets",
                        lambda folder, out, **kw: linked.update(files=sorted(p.name for p in Path(folder).iterdir())))
    monkeypatch.setattr(set_encoders, "load_model", lambda out: out)
    assert set_encoders.encoder_without("g3d", tmp_path, 20, 0) == tmp_path / "without_g3d_seed0_epochs20"
    assert not [f for f in linked["files"] if f.startswith("g3d")]  # g3d_streams holds G3D's people too
    assert {"msrc12.npz", "msrc12.json", "utd_mhad.npz", "penn_action.npz"} <= set(linked["files"])


def test_fine_tune_starts_each_protocol_from_the_encoder_that_never_saw_its_set(monkeypatch):
    import torch

    sf, [(_, train, _)] = skeleton_protocols.protocol("g3d_seed", 0, 5)
    tiny = {"epochs": 1, "hidden_size": 32}
    start = skeleton_protocols.make("posehar", 1, 0, tiny).fit(sf, train[::4], 1).model  # not seed 0's weights
    asked = []
    monkeypatch.setattr(skeleton_protocols, "encoder_without", lambda stem: asked.append(stem) or start)
    still = {**tiny, "learning_rate": 1e-9}  # the weights barely move from where they start
    tuned = skeleton_protocols.make("posehar", 0, 0, still, fine_tune=True).fit(sf, train, 0).model
    scratch = skeleton_protocols.make("posehar", 0, 0, still).fit(sf, train, 0).model
    assert asked == ["g3d"]
    weights = lambda m: m.encoder_.state_dict()["gru.weight_hh_l0"]  # noqa: E731
    assert torch.allclose(weights(tuned), weights(start), atol=1e-5)
    assert not torch.allclose(weights(scratch), weights(start), atol=1e-2)
