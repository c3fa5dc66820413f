"""Bad input, model bundles and sizes (issue 20, items 3, 4, 10): a tampered bundle is caught by its
digest or by the value checks, and small files cannot ask for gigabytes."""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from posehar.bundle import load_model
from posehar.cli import main
from posehar.errors import KeypointFormatError, ModelBundleError
from posehar.sequence import KeypointSequence, load_batch

from test_bad_input import cli_error


@pytest.fixture
def bundle(tiny_model: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_model, tmp_path / "bundle"))


def edit_config(bundle: Path, change) -> None:
    cfg_path = bundle / "config.json"
    cfg = json.loads(cfg_path.read_text())
    change(cfg)
    cfg_path.write_text(json.dumps(cfg))


def rehash(bundle: Path) -> None:
    """What an attacker does after editing a weight file: recompute the sha256 values in config.json."""
    def fix(cfg):
        for name in cfg["files"]:
            cfg["files"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    edit_config(bundle, fix)


def info_digest(capsys, bundle: Path) -> str:
    assert main(["info", str(bundle), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["digest"]


# ------------------------------------------------------------ item 3: tampering
def test_renamed_classes_change_the_digest(capsys, bundle, videos):
    digest = info_digest(capsys, bundle)
    assert len(digest) == 64
    assert digest in (bundle / "README.md").read_text()  # the model card records it
    assert main(["info", str(bundle), "--expect-digest", digest]) == 0
    capsys.readouterr()
    edit_config(bundle, lambda c: c.update(classes=list(reversed(c["classes"]))))
    assert info_digest(capsys, bundle) != digest
    line = cli_error(capsys, ["info", str(bundle), "--expect-digest", digest])
    assert "not the expected" in line
    line = cli_error(capsys, ["predict", str(videos / "seed_test_6.mp4"), "--model", str(bundle),
                              "--expect-digest", digest])
    assert "not the expected" in line
    with pytest.raises(ModelBundleError, match="not the expected"):
        load_model(bundle, expect_digest=digest)


def test_weights_edited_with_recomputed_hashes_change_the_digest(capsys, bundle):
    digest = info_digest(capsys, bundle)
    with np.load(bundle / "classifier.npz") as d:
        arrays = {k: d[k] for k in d.files}
    arrays["intercept"] = arrays["intercept"] + 5.0
    np.savez(bundle / "classifier.npz", **arrays)
    rehash(bundle)
    load_model(bundle)  # still a well-formed bundle
    with pytest.raises(ModelBundleError, match="not the expected"):
        load_model(bundle, expect_digest=digest)


@pytest.mark.parametrize("key", ["confidence", "novelty", "input"])
def test_nan_threshold_is_refused(bundle, key):
    text = (bundle / "config.json").read_text()
    cfg = json.loads(text)
    cfg["thresholds"][key] = float("nan")
    (bundle / "config.json").write_text(json.dumps(cfg))  # Python writes NaN, which json.loads reads back
    with pytest.raises(ModelBundleError, match=f"thresholds.{key}"):
        load_model(bundle)


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_confidence_threshold_out_of_range(bundle, value):
    edit_config(bundle, lambda c: c["thresholds"].update(confidence=value))
    with pytest.raises(ModelBundleError, match="thresholds.confidence"):
        load_model(bundle)


def test_nan_classifier_weights_are_refused(capsys, bundle, videos):
    with np.load(bundle / "classifier.npz") as d:
        arrays = {k: d[k] for k in d.files}
    arrays["coef"][0, 0] = np.nan
    np.savez(bundle / "classifier.npz", **arrays)
    rehash(bundle)
    with pytest.raises(ModelBundleError, match="NaN"):
        load_model(bundle)
    assert "NaN" in cli_error(capsys, ["predict", str(videos / "seed_test_6.mp4"), "--model", str(bundle)])


def test_nan_encoder_weights_are_refused(bundle):
    from safetensors.numpy import load_file, save_file

    state = load_file(str(bundle / "encoder.safetensors"))
    name = next(k for k in state if k.startswith("gru."))
    state[name][...] = np.inf
    save_file(state, str(bundle / "encoder.safetensors"))
    rehash(bundle)
    with pytest.raises(ModelBundleError, match="NaN, infinite"):
        load_model(bundle)


def test_classifier_shape_not_matching_the_encoder(bundle):
    with np.load(bundle / "classifier.npz") as d:
        arrays = {k: d[k] for k in d.files}
    for k in ("scaler_mean", "scaler_scale"):
        arrays[k] = arrays[k][:-1]
    arrays["coef"], arrays["centroids"] = arrays["coef"][:, :-1], arrays["centroids"][:, :-1]
    np.savez(bundle / "classifier.npz", **arrays)
    rehash(bundle)
    with pytest.raises(ModelBundleError, match="shape"):
        load_model(bundle)


# ------------------------------------------------------------ items 4 and 10: values within bounds
@pytest.mark.parametrize("section, key, value", [
    ("params", "fps", 0), ("params", "fps", -30), ("params", "fps", 1e9),
    ("params", "window", 0), ("params", "window", -5), ("params", "window", 2.5), ("params", "window", 10**9),
    ("encoder", "hidden_size", 30000), ("encoder", "num_layers", 1000), ("encoder", "input_dim", 10**8),
])
def test_config_values_out_of_bounds_refused_before_allocating(bundle, section, key, value):
    def change(cfg):
        cfg[section][key] = value
        if key in ("hidden_size", "num_layers"):
            cfg["params"][key] = value
    edit_config(bundle, change)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(ModelBundleError, match=f"{section}.{key}"):
        load_model(bundle)
    assert time.perf_counter() - start < 5
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 200


def test_json_output_is_valid_json_for_a_real_prediction(capsys, tiny_model, gestures, tmp_path):
    seq = load_batch(gestures / "p40.npz")[0]
    path = seq.save(tmp_path / "s.npz")
    assert main(["predict", str(path), "--model", str(tiny_model), "--json"]) == 0
    json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))


def _huge_shape_npz(path: Path, shape: tuple[int, ...], key: str = "pose", extra: dict | None = None) -> Path:
    """A small .npz whose member declares ``shape`` (the data would be gigabytes): header only, zeros."""
    header = {"descr": "<f4", "fortran_order": False, "shape": shape}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(f"{key}.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, header)  # magic string and header
            zero = bytes(1 << 20)
            for _ in range(64):  # 64 MiB of zeros compress to ~64 KB; the declared size is far larger
                fh.write(zero)
        for name, arr in (extra or {}).items():
            with zf.open(f"{name}.npy", "w") as fh:
                np.lib.format.write_array(fh, arr)
    return path


def test_npz_declaring_a_huge_shape_is_refused_before_reading(tmp_path):
    meta = {"format_version": 1, "fps": 30.0, "frame_size": [0, 0], "source": "", "layout": "mediapipe_pose",
            "label": None, "meta": {}}
    single = _huge_shape_npz(tmp_path / "huge.npz", (20_000_000, 33, 4), extra={"posehar_meta": np.array(json.dumps(meta))})
    batch = _huge_shape_npz(tmp_path / "hugeb.npz", (200_000, 1000, 33, 4), extra={"labels": np.array(["a"] * 200_000)})
    assert single.stat().st_size < 2_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(KeypointFormatError, match="huge.npz.*too large"):
        KeypointSequence.load(single)
    with pytest.raises(KeypointFormatError, match="hugeb.npz.*too large"):
        load_batch(batch)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 300


@pytest.mark.parametrize("fps", [1e-6, 0.0, -1.0, 1e9, float("nan")])
def test_sequence_fps_out_of_bounds(tmp_path, fps, tiny_model, capsys):
    seq = KeypointSequence(pose=np.zeros((40, 33, 4), np.float32))
    path = seq.save(tmp_path / "s.npz")
    with np.load(path) as d:
        arrays = {k: d[k] for k in d.files}
    meta = json.loads(str(arrays["posehar_meta"]))
    meta["fps"] = fps
    arrays["posehar_meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(KeypointFormatError, match="fps"):
        KeypointSequence.load(path)
    assert "fps" in cli_error(capsys, ["predict", str(path), "--model", str(tiny_model)])


def test_batch_sidecar_fps_out_of_bounds(tmp_path, gestures):
    shutil.copy(gestures / "p01.npz", tmp_path / "p01.npz")
    (tmp_path / "p01.json").write_text(json.dumps({"subject": "p01", "fps": 1e-6}))
    with pytest.raises(KeypointFormatError, match="fps"):
        load_batch(tmp_path / "p01.npz")


def test_shipped_model_card_holds_its_digest(capsys):
    from posehar.bundle import bundle_digest
    from posehar.models import resolve_model

    path = resolve_model("mp_gestures")
    assert bundle_digest(path) in (path / "README.md").read_text()
    assert main(["info", "mp_gestures", "--expect-digest", bundle_digest(path)]) == 0


# ------------------------------------------------------------ item 4: videos with absurd headers
def _zero_timescale(src: Path, out: Path) -> Path:
    import cv2

    reader = cv2.VideoCapture(str(src))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 25, (160, 120))
    for _ in range(10):
        ok, frame = reader.read()
        writer.write(cv2.resize(frame, (160, 120)))
    writer.release()
    reader.release()
    raw = bytearray(out.read_bytes())
    at = raw.index(b"mdhd") + 4 + 4 + 8  # version 0 box: version/flags, creation, modification, timescale
    raw[at:at + 4] = bytes(4)
    out.write_bytes(bytes(raw))
    return out


def test_video_with_zero_timescale_is_refused_before_work(capsys, videos, tmp_path, tiny_model, monkeypatch):
    video = _zero_timescale(videos / "seed_test_6.mp4", tmp_path / "ts0.mp4")
    import posehar.pose

    monkeypatch.setattr(posehar.pose, "track_frames", lambda *a, **k: pytest.fail("frames were decoded"))
    start = time.perf_counter()
    line = cli_error(capsys, ["predict", str(video), "--model", str(tiny_model)])
    assert "frames per second" in line and time.perf_counter() - start < 10
    assert "frames per second" in cli_error(capsys, ["pose", str(video), "-o", str(tmp_path / "k.npz")])


def test_fifo_is_not_called_empty(capsys, tmp_path, tiny_model):
    import os

    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    line = cli_error(capsys, ["predict", str(fifo), "--model", str(tiny_model)])
    assert "not a regular file" in line and "(0 bytes)" not in line


def test_upper_case_npz_is_a_keypoint_file(capsys, tmp_path, tiny_model, gestures):
    """item 13: X.NPZ is read as keypoints, not decoded as a video."""
    path = load_batch(gestures / "p40.npz")[0].save(tmp_path / "S.NPZ")
    assert main(["predict", str(path), "--model", str(tiny_model), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["frames_read"] == 30
