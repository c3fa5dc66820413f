"""Shipped models, by name (a small registry in the spirit of timm's ``create_model``).

Shipped bundles live in the project's ``models/`` folder (next to the package in a source
checkout or editable install); ``POSEHAR_MODELS`` may point elsewhere. A model argument
is either a registered name or a path to a bundle folder.
"""

from __future__ import annotations

import copy
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .bundle import load_model
from .bundle_files import CONFIG
from .errors import ModelBundleError

if TYPE_CHECKING:
    from .classifier import PoseActionClassifier

DEFAULT_MODEL = "body_actions"


def models_dir() -> Path:
    """Folder holding the shipped model bundles."""
    env = os.environ.get("POSEHAR_MODELS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "models"


def list_models() -> list[str]:
    """Names of the shipped model bundles."""
    root = models_dir()
    return sorted(p.name for p in root.iterdir() if (p / CONFIG).is_file()) if root.is_dir() else []


def resolve_model(model: str | os.PathLike | None) -> Path:
    """Turn a model name or bundle path (None = the default model) into a bundle folder path."""
    if model is None:
        model = DEFAULT_MODEL
    path = Path(model)
    if path.exists():
        return path
    named = models_dir() / str(model)
    if named.is_dir():
        return named
    known = ", ".join(list_models()) or "none found in " + str(models_dir())
    raise ModelBundleError(f"model {str(model)!r} is neither a bundle folder nor a shipped model (shipped: {known})")


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int):
    return load_model(path)


def get_model(model: str | os.PathLike | PoseActionClassifier | None = None) -> PoseActionClassifier:
    """A fitted classifier: ``model`` may be a name, a bundle path, None (default) or a classifier
    (returned as it is). A bundle is read once per process; each call gets its own copy, so changing
    or refitting it changes nothing for later calls."""
    if hasattr(model, "predict_proba"):
        return model
    path = resolve_model(model)
    cfg = path / CONFIG
    return copy.deepcopy(_cached(str(path.resolve()), cfg.stat().st_mtime_ns if cfg.exists() else 0))


def model_label(model) -> str:
    """How a result names the model it came from: the name or path given, the class of a
    fitted classifier, or the default model's name."""
    if model is None:
        return DEFAULT_MODEL
    return type(model).__name__ if hasattr(model, "predict_proba") else str(model)
