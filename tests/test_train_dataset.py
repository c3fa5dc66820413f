"""Dataset protocol end to end: G3D-style Kinect skeletons -> store -> train --dataset -> evaluate --dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest
from dataset_fixtures import skeleton_xml

from posehar.cli import main
from posehar.datasets.protocols import all_samples
from posehar.errors import StoreError
from posehar.extract import extract_dataset
from posehar.pose import PoseSettings
from posehar.training import store_sequences

BASE = np.array([  # a standing Kinect v1 skeleton, metres (x right, y up, z depth)
    [0, 0, 2], [0, .3, 2], [0, .6, 2], [0, .8, 2], [-.2, .55, 2], [-.3, .3, 2], [-.35, .05, 2], [-.36, 0, 2],
    [.2, .55, 2], [.3, .3, 2], [.35, .05, 2], [.36, 0, 2], [-.1, 0, 2], [-.1, -.45, 2], [-.1, -.9, 2],
    [-.1, -.95, 1.9], [.1, 0, 2], [.1, -.45, 2], [.1, -.9, 2], [.1, -.95, 1.9]], dtype=np.float32)


def _motion(action: str, t: np.ndarray, rng) -> np.ndarray:
    poses = np.repeat(BASE[None], len(t), 0) * rng.uniform(0.85, 1.15) + rng.normal(0, 0.01, (len(t), 20, 3))
    phase = rng.uniform(0, np.pi)
    if action == "Wave":  # right hand up, swinging sideways
        poses[:, [10, 11], 1] += 0.7
        poses[:, [10, 11], 0] += 0.15 * np.sin(t * 0.8 + phase)[:, None]
    else:  # Clap: both hands meet in front of the chest
        closing = 0.5 * (1 + np.cos(t * 0.8 + phase))[:, None]
        poses[:, [6, 7], 0] = -0.05 - 0.3 * closing
        poses[:, [10, 11], 0] = 0.05 + 0.3 * closing
        poses[:, [6, 7, 10, 11], 1] += 0.35
    return poses.astype(np.float32)


@pytest.fixture(scope="module")
def g3d_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("g3d")
    rng = np.random.default_rng(0)
    for action in ("Wave", "Clap"):
        for actor in range(1, 11):
            for rep in range(3):
                folder = root / action / f"actor{actor}_rep{rep}" / "Skeleton"
                folder.mkdir(parents=True)
                for n, pose in enumerate(_motion(action, np.arange(24), rng), start=1):
                    (folder / f"Skeleton {n}.xml").write_text(skeleton_xml(pose))
    store = tmp_path_factory.mktemp("store")
    report = extract_dataset(all_samples("g3d", root), store, PoseSettings(), workers=1, progress=False)
    assert len(report.with_status("done")) == 60
    return root, store


def test_train_and_evaluate_on_dataset_protocol(g3d_store, tmp_path, capsys):
    root, store = g3d_store
    model = tmp_path / "m"
    assert main(["train", "--dataset", "g3d", "--root", str(root), "--store", str(store), "-o", str(model),
                 "--epochs", "15", "--cv", "0"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["feature_config"]["layout"] == "kinect_v1" and cfg["feature_config"]["hands"] is False
    assert cfg["training"]["groups"] == [f"actor{a:02d}" for a in range(1, 6)]  # actors 6-10 are the test set
    assert cfg["training"]["test"]["n"] == 30 and cfg["training"]["test"]["accuracy"] >= 0.8
    assert main(["evaluate", str(model), "--dataset", "g3d", "--root", str(root), "--store", str(store),
                 "--json", "--confusion", str(tmp_path / "cm.png")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unseen_people"]["n"] == 30 and "seen_people" not in report


def test_missing_keypoints_name_the_fix(g3d_store, tmp_path):
    root, _ = g3d_store
    with pytest.raises(StoreError, match="not a keypoint store; run 'posehar extract"):
        store_sequences(all_samples("g3d", root), tmp_path / "empty_store", PoseSettings())
