"""Shared fixtures: the real data in ../shared/data (beside the project root)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

PROJECT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSEHAR_SHARED_DATA", PROJECT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real data not found at {SHARED} (set POSEHAR_SHARED_DATA)")
    return SHARED


@pytest.fixture(scope="session")
def videos(shared: Path) -> Path:
    return shared / "videos"


@pytest.fixture(scope="session")
def gestures(shared: Path) -> Path:
    return shared / "keypoints" / "mp_gestures"


@pytest.fixture(scope="session")
def tiny_model(gestures: Path, tmp_path_factory) -> Path:
    """Bundle folder of a small model trained on p01-p12 (3 epochs)."""
    from model_fixtures import train_tiny_model

    return train_tiny_model(gestures, tmp_path_factory.mktemp("model") / "tiny")
