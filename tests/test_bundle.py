"""Model bundles: round trip, and refusal of truncated, edited, foreign or pickle-carrying bundles."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest

from posehar.bundle import load_model, read_config
from posehar.errors import ModelBundleError
from posehar.sequence import load_batch


@pytest.fixture
def bundle(tiny_model, tmp_path):
    dst = tmp_path / "model"
    shutil.copytree(tiny_model, dst)
    return dst


def test_round_trip_gives_same_probabilities(gestures, tmp_path):
    """A saved and reloaded model answers as the fitted one in memory did, thresholds included."""
    from posehar.bundle import save_model
    from posehar.classifier import PoseActionClassifier

    X, groups = [], []
    for person in ("p01", "p02", "p03"):
        batch = load_batch(gestures / f"{person}.npz")
        X += batch
        groups += [person] * len(batch)
    fitted = PoseActionClassifier(epochs=1, hidden_size=16, verbose=False).fit(X, [s.label for s in X], groups)
    loaded = load_model(save_model(fitted, tmp_path / "model"))
    test = load_batch(gestures / "p40.npz")[:20]
    a, b = fitted.predict_proba(test), loaded.predict_proba(test)
    assert a.shape == (20, 3) and np.allclose(a.sum(1), 1)
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)
    for name in ("confidence_threshold_", "novelty_threshold_", "input_threshold_"):
        assert getattr(loaded, name) == pytest.approx(getattr(fitted, name)), name
    assert loaded.classes_.tolist() == fitted.classes_.tolist() == ["hello", "iloveyou", "thanks"]
    assert {"torch", "mediapipe", "posehar"} <= set(read_config(tmp_path / "model")["versions"])


def test_truncated_weights_refused(bundle):
    w = bundle / "encoder.safetensors"
    w.write_bytes(w.read_bytes()[:1000])
    with pytest.raises(ModelBundleError, match="truncated or was edited"):
        load_model(bundle)


def test_edited_classifier_refused(bundle):
    with np.load(bundle / "classifier.npz") as d:
        arrays = {k: d[k] for k in d.files}
    arrays["coef"] = arrays["coef"] * 2
    np.savez(bundle / "classifier.npz", **arrays)
    with pytest.raises(ModelBundleError, match="checksum"):
        load_model(bundle)


def test_edited_config_refused(bundle):
    cfg = json.loads((bundle / "config.json").read_text())
    del cfg["files"]
    (bundle / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelBundleError, match="checksums"):
        load_model(bundle)
    (bundle / "config.json").write_text('{"format": "posehar-model", "format_vers')
    with pytest.raises(ModelBundleError, match="not valid JSON"):
        load_model(bundle)


def test_other_version_refused(bundle):
    cfg = json.loads((bundle / "config.json").read_text())
    cfg["format_version"] = 99
    (bundle / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelBundleError, match="format version 99"):
        load_model(bundle)


class _Planted:
    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(_Planted.marker),))


def test_planted_pickle_is_refused_and_never_run(bundle, tmp_path):
    marker = tmp_path / "PWNED"
    _Planted.marker = str(marker)
    payload = pickle.dumps(_Planted())
    # next to the real files, and in place of the weights
    (bundle / "model.pkl").write_bytes(payload)
    with pytest.raises(ModelBundleError, match="pickle"):
        load_model(bundle)
    (bundle / "model.pkl").unlink()
    (bundle / "encoder.safetensors").write_bytes(payload)
    with pytest.raises(ModelBundleError):
        load_model(bundle)
    assert not marker.exists()


def test_missing_bundle(tmp_path):
    with pytest.raises(ModelBundleError, match="not found"):
        load_model(tmp_path / "nope")


def test_bundle_from_before_finger_features_still_loads(gestures, tmp_path):
    """Bundles written before finger features and the early-stopping switch have no such keys: read as trained."""
    from posehar.bundle import save_model
    from posehar.classifier import PoseActionClassifier

    X = [s for p in ("p01", "p02", "p03", "p04") for s in load_batch(gestures / f"{p}.npz")]
    y = [s.label for s in X]
    clf = PoseActionClassifier(fingers=False, early_stopping=False, epochs=1, hidden_size=16, verbose=False).fit(X, y)
    save_model(clf, tmp_path / "old")
    cfg_path = tmp_path / "old" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    del cfg["feature_config"]["fingers"], cfg["params"]["fingers"], cfg["params"]["early_stopping"]
    cfg_path.write_text(json.dumps(cfg))
    old = load_model(tmp_path / "old")
    assert not old.feature_config_.fingers and old.n_features_in_ == clf.n_features_in_
    assert old.early_stopping and not clf.early_stopping
    assert np.allclose(old.predict_proba(X[:10]), clf.predict_proba(X[:10]), atol=1e-6)


def test_a_model_whose_vector_holds_the_frame_max_reloads_as_fitted(gestures, tmp_path):
    """``frame_max`` widens the temporal vector the head reads (not the encoder's training head): the bundle
    records it, reloads it and answers as the fitted model; a config that mangles it is refused."""
    from posehar.bundle import save_model
    from posehar.classifier import PoseActionClassifier

    X = [s for p in ("p01", "p02", "p03") for s in load_batch(gestures / f"{p}.npz")]
    fitted = PoseActionClassifier(epochs=1, hidden_size=16, frame_max=2, verbose=False).fit(X, [s.label for s in X])
    path = save_model(fitted, tmp_path / "model")
    loaded = load_model(path)
    assert loaded.frame_max == 2 and loaded.encoder_.vector_dim == 80 and loaded.scaler_.mean_.shape == (80,)
    test = load_batch(gestures / "p40.npz")[:20]
    np.testing.assert_allclose(loaded.predict_proba(test), fitted.predict_proba(test), rtol=0, atol=1e-6)
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["encoder"]["frame_max"] == 2
    for bad in ("yes", 3, [1], 1.0):
        cfg["encoder"]["frame_max"] = bad
        (path / "config.json").write_text(json.dumps(cfg))
        with pytest.raises(ModelBundleError, match=r"encoder.frame_max must be 0, 1 or 2 \(or true or false\)"):
            load_model(path)
    del cfg["encoder"]["frame_max"]  # read as 0, which the params contradict
    (path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelBundleError, match=r"params.frame_max \(2\) differs from encoder.frame_max \(0\)"):
        load_model(path)


def test_a_bundle_records_the_fitted_encoder_whatever_set_params_changed_after_fit(gestures, tmp_path):
    """set_params changes the parameters of the next fit, not the fitted encoder: a bundle saved after it
    describes the encoder it holds, so it loads and answers as the fitted model."""
    from posehar.bundle import save_model
    from posehar.classifier import PoseActionClassifier

    X = [s for p in ("p01", "p02", "p03") for s in load_batch(gestures / f"{p}.npz")]
    fitted = PoseActionClassifier(epochs=1, hidden_size=16, frame_max=np.int64(2), verbose=False)
    fitted.fit(X, [s.label for s in X])
    test = load_batch(gestures / "p40.npz")[:20]
    before = fitted.predict_proba(test)
    fitted.set_params(frame_max=0, hidden_size=32)
    loaded = load_model(save_model(fitted, tmp_path / "model"))
    assert loaded.hidden_size == 16 and loaded.frame_max == loaded.encoder_.frame_max == 2
    np.testing.assert_allclose(loaded.predict_proba(test), before, rtol=0, atol=1e-6)


def test_a_bundle_that_says_frame_max_true_reads_as_one_pyramid_level(gestures, tmp_path):
    """Bundles written on 2026-12-07 say ``"frame_max": true`` (the max over the whole window only)."""
    from posehar.bundle import save_model
    from posehar.classifier import PoseActionClassifier

    X = [s for p in ("p01", "p02", "p03") for s in load_batch(gestures / f"{p}.npz")]
    fitted = PoseActionClassifier(epochs=1, hidden_size=16, frame_max=1, verbose=False).fit(X, [s.label for s in X])
    path = save_model(fitted, tmp_path / "model")
    cfg = json.loads((path / "config.json").read_text())
    cfg["encoder"]["frame_max"] = cfg["params"]["frame_max"] = True
    (path / "config.json").write_text(json.dumps(cfg))
    loaded = load_model(path)
    assert loaded.encoder_.frame_max == 1 and loaded.encoder_.vector_dim == 48
    test = load_batch(gestures / "p40.npz")[:20]
    np.testing.assert_allclose(loaded.predict_proba(test), fitted.predict_proba(test), rtol=0, atol=1e-6)
