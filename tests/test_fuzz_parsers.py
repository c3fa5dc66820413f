"""Hypothesis fuzz of keypoint files and model bundle configs: only posehar's own errors come out.

POSEHAR_FUZZ_EXAMPLES sets the examples per test (default 60).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from posehar.bundle import load_model, read_config
from posehar.errors import KeypointFormatError, ModelBundleError
from posehar.sequence import KeypointSequence, load_batch

FUZZ = settings(max_examples=int(os.environ.get("POSEHAR_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
)
dtypes = st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_, "U3"])
arrays = hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=5, max_side=4))


def load_both(path: Path) -> None:
    for loader in (KeypointSequence.load, load_batch):
        try:
            loader(path)
        except KeypointFormatError:
            pass


def good_npz(tmp: Path) -> bytes:
    seq = KeypointSequence(pose=np.random.default_rng(0).random((4, 33, 4), dtype=np.float32))
    return seq.save(tmp / "good.npz").read_bytes()


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(tmp_path, data):
    f = tmp_path / "x.npz"
    f.write_bytes(data)
    load_both(f)


@FUZZ
@given(data=st.data())
def test_garbled_real_file(tmp_path, data):
    raw = bytearray(good_npz(tmp_path))
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    f = tmp_path / "g.npz"
    f.write_bytes(bytes(raw[:cut] if data.draw(st.booleans()) else raw))
    load_both(f)


@FUZZ
@given(contents=st.dictionaries(
    st.sampled_from(["pose", "labels", "left_hand", "right_hand", "pose_present", "left_present",
                     "right_present", "frame_indices", "posehar_meta"]), arrays, max_size=6),
    meta=st.one_of(st.none(), json_values, st.fixed_dictionaries({
        "format_version": st.sampled_from([1, 2, "1", None]), "fps": json_values, "frame_size": json_values,
        "source": json_values, "layout": st.sampled_from(["mediapipe_pose", "kinect_v1", "coco", 3]),
        "label": json_values, "meta": json_values})))
def test_random_arrays(tmp_path, contents, meta):
    if meta is not None:
        contents["posehar_meta"] = np.array(json.dumps(meta))
    buf = io.BytesIO()
    np.savez(buf, **contents)
    f = tmp_path / "a.npz"
    f.write_bytes(buf.getvalue())
    load_both(f)


# ---------------------------------------------------------------- model bundle config
@pytest.fixture(scope="module")
def config(tiny_model: Path) -> dict:
    return json.loads((tiny_model / "config.json").read_text())


def paths(node, prefix=()):
    """Every key path in a JSON tree."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def mutate(config: dict, path: tuple, action: str, value) -> object:
    if not path:
        return value
    cfg = json.loads(json.dumps(config))
    parent = cfg
    for k in path[:-1]:
        parent = parent[k]
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return cfg


@FUZZ
@given(data=st.data())
def test_mutated_config(tiny_model, config, tmp_path_factory, data):
    bundle = tmp_path_factory.mktemp("fuzz") / "m"
    shutil.copytree(tiny_model, bundle)
    new = config
    for _ in range(data.draw(st.integers(1, 3))):  # 1-3 edits: delete a key or replace a value
        if not isinstance(new, dict):
            break
        all_paths = [p for p in paths(new) if len(p) < 2 or p[0] != "history"]  # history: as a whole
        path = data.draw(st.sampled_from(all_paths))
        action = data.draw(st.sampled_from(["delete", "replace"])) if path else "replace"
        new = mutate(new, path, action, data.draw(json_values))
    text = json.dumps(new) if data.draw(st.integers(0, 9)) else json.dumps(new)[: data.draw(st.integers(0, 50))]
    (bundle / "config.json").write_text(text)
    for call in (read_config, load_model):
        try:
            call(bundle)
        except ModelBundleError:
            pass
    shutil.rmtree(bundle.parent)
