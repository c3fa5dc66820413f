"""Model bundles: a folder with config JSON, safetensors weights and an npz of the classifier.

Layout of a bundle ``MODEL/``::

    config.json          format, versions, classes, parameters, thresholds, training record,
                         and the sha256 of each weight file
    encoder.safetensors  GRU encoder weights and feature standardisation buffers
    classifier.npz       logistic regression coef/intercept, scaler mean/scale, class centroids
    README.md            model card (optional, not read)

Loading never executes code: JSON, safetensors and ``np.load(allow_pickle=False)`` only.
A bundle holding any pickle-like file (.pkl, .pt, .pth, .joblib, ...) is refused outright,
and a weight file whose sha256 differs from config.json (truncated or edited) is refused.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .augment import AugmentConfig
from .encoder import GRUEncoder
from .errors import NPZ_READ_ERRORS, ModelBundleError
from .features import FeatureConfig

BUNDLE_FORMAT = "posehar-model"
BUNDLE_VERSION = 1
CONFIG = "config.json"
ENCODER = "encoder.safetensors"
CLASSIFIER = "classifier.npz"
# How bundles written before these parameters existed were trained: no finger features, and the
# encoder kept from its best validation epoch (early stopping).
OLDER_BUNDLE_PARAMS = {"fingers": False, "early_stopping": True}
_PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".joblib", ".bin", ".ckpt", ".npy"}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    import mediapipe
    import sklearn
    import torch

    from . import __version__

    return {"posehar": __version__, "torch": torch.__version__, "scikit-learn": sklearn.__version__,
            "mediapipe": mediapipe.__version__, "numpy": np.__version__, "python": platform.python_version()}


def save_model(clf, path: str | os.PathLike, training: dict[str, Any] | None = None, model_card: str | None = None) -> Path:
    """Write a fitted PoseActionClassifier as a bundle folder (atomically: temp folder, then rename)."""
    from safetensors.torch import save_file

    if not hasattr(clf, "encoder_"):
        raise ModelBundleError("the classifier is not fitted; call fit() before saving it")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    state = {k: v.detach().contiguous() for k, v in clf.encoder_.state_dict().items()}
    save_file(state, str(tmp / ENCODER))
    with open(tmp / CLASSIFIER, "wb") as fh:
        np.savez(fh, coef=clf.logreg_.coef_, intercept=clf.logreg_.intercept_, scaler_mean=clf.scaler_.mean_,
                 scaler_scale=clf.scaler_.scale_, centroids=clf.centroids_)
    params = clf.get_params()
    params["augment"] = params["augment"].as_dict() if params["augment"] else None
    enc = clf.encoder_
    config = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "classes": [str(c) for c in clf.classes_],
        "feature_config": clf.feature_config_.as_dict(),
        "encoder": {"input_dim": int(enc.feature_mean.shape[0]), "num_classes": len(clf.classes_),
                    "hidden_size": clf.hidden_size, "num_layers": clf.num_layers,
                    "bidirectional": clf.bidirectional, "dropout": clf.dropout},
        "params": params,
        "thresholds": {"confidence": clf.confidence_threshold_, "novelty": clf.novelty_threshold_,
                       "input": clf.input_threshold_},
        "history": clf.history_,
        "training": training or {},
        "files": {name: _sha256(tmp / name) for name in (ENCODER, CLASSIFIER)},
    }
    (tmp / CONFIG).write_text(json.dumps(config, indent=2, default=float))
    if model_card is None:
        from .modelcard import render_model_card

        model_card = render_model_card(path.name, json.loads((tmp / CONFIG).read_text()))
    (tmp / "README.md").write_text(model_card)
    if path.exists():
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, path)
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Clean up after saves of bundle ``path`` that were killed part-way.

    A ``.NAME.tmp-PID`` folder (a bundle being written) is deleted. A ``.NAME.old-PID``
    folder (the previous bundle, moved aside just before the new one took its place) is
    moved back to ``path`` if nothing is there, else deleted. Folders of a process that is
    still running (a concurrent save) are left alone. Returns the folders removed or restored.
    """
    path = Path(path)
    removed = []
    for kind in ("tmp", "old"):
        for d in path.parent.glob(f".{path.name}.{kind}-*"):
            pid = d.name.rsplit("-", 1)[-1]
            if pid.isdigit() and (int(pid) == os.getpid() or not _pid_alive(int(pid))):
                if kind == "old" and not path.exists():
                    os.replace(d, path)
                else:
                    shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
    return removed


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """Validate a bundle folder and return its config (checks files, format, version, checksums)."""
    path = Path(path)
    if not path.exists():
        raise ModelBundleError(f"model not found: {path} (pass a bundle folder or a shipped model name)")
    if not path.is_dir():
        raise ModelBundleError(f"{path} is not a model bundle folder (expected {CONFIG}, {ENCODER}, {CLASSIFIER})")
    unsafe = sorted(p.name for p in path.iterdir() if p.suffix.lower() in _PICKLE_SUFFIXES)
    if unsafe:
        raise ModelBundleError(
            f"{path} contains {', '.join(unsafe)}: posehar never loads pickle-like files, which can run code; "
            "remove them or re-export the model with posehar")
    cfg_path = path / CONFIG
    if not cfg_path.is_file():
        raise ModelBundleError(f"{path} has no {CONFIG}: not a posehar model bundle")
    try:
        config = json.loads(cfg_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelBundleError(f"{cfg_path} is not valid JSON ({exc}); the bundle is truncated or edited") from None
    if not isinstance(config, dict) or config.get("format") != BUNDLE_FORMAT:
        raise ModelBundleError(f"{cfg_path} is not a posehar model config (format != {BUNDLE_FORMAT!r})")
    if config.get("format_version") != BUNDLE_VERSION:
        raise ModelBundleError(
            f"{path} is bundle format version {config.get('format_version')!r} (made by posehar "
            f"{config.get('versions', {}).get('posehar', '?')}); this posehar reads version {BUNDLE_VERSION}: "
            "use a matching posehar or retrain the model")
    files = config.get("files")
    if not isinstance(files, dict) or set(files) != {ENCODER, CLASSIFIER}:
        raise ModelBundleError(f"{cfg_path} lists no checksums for {ENCODER} and {CLASSIFIER}; the config was edited")
    for name, digest in files.items():
        f = path / name
        if not f.is_file():
            raise ModelBundleError(f"{path} is missing {name}; copy the whole bundle folder")
        if _sha256(f) != digest:
            raise ModelBundleError(f"{f} does not match its checksum in {CONFIG}: the file is truncated or was edited")
    for key in ("classes", "feature_config", "encoder", "params", "thresholds"):
        if key not in config:
            raise ModelBundleError(f"{cfg_path} lacks {key!r}; the config was edited or is incomplete")
    classes = config["classes"]
    if not isinstance(classes, list) or len(classes) < 2 or not all(isinstance(c, str) for c in classes):
        raise ModelBundleError(f"{cfg_path}: 'classes' must be a list of 2 or more class names, got {classes!r:.80}")
    return config


def load_model(path: str | os.PathLike):
    """Load a bundle folder as a fitted PoseActionClassifier, executing no code from the files."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from sklearn.preprocessing import StandardScaler

    from .classifier import PoseActionClassifier, logistic_head

    path = Path(path)
    config = read_config(path)
    try:
        params = {**OLDER_BUNDLE_PARAMS, **config["params"]}
        params["augment"] = AugmentConfig(**params["augment"]) if params.get("augment") else None
        clf = PoseActionClassifier(**params)
        clf.classes_ = np.asarray(config["classes"], dtype=str)
        older_features = {k: v for k, v in OLDER_BUNDLE_PARAMS.items() if k in FeatureConfig.__dataclass_fields__}
        clf.feature_config_ = FeatureConfig(**{**older_features, **config["feature_config"]})
        clf.encoder_ = GRUEncoder(**config["encoder"])
        clf.encoder_.load_state_dict(load_file(str(path / ENCODER)))
        clf.encoder_.eval()
        with np.load(path / CLASSIFIER, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        clf.scaler_ = StandardScaler()
        clf.scaler_.mean_, clf.scaler_.scale_ = arrays["scaler_mean"], arrays["scaler_scale"]
        clf.scaler_.var_ = clf.scaler_.scale_ ** 2
        clf.scaler_.n_features_in_ = clf.scaler_.mean_.shape[0]
        clf.logreg_ = logistic_head(arrays["coef"], arrays["intercept"], clf.C)
        clf.centroids_ = arrays["centroids"]
        clf.confidence_threshold_ = float(config["thresholds"]["confidence"])
        clf.novelty_threshold_ = float(config["thresholds"]["novelty"])
        clf.input_threshold_ = float(config["thresholds"]["input"])
        clf.history_ = config.get("history", {})
        clf.training_ = config.get("training", {})
        clf.n_features_in_ = clf.feature_config_.dim()
    except (KeyError, TypeError, SafetensorError, *NPZ_READ_ERRORS) as exc:
        raise ModelBundleError(f"{path}: the bundle's contents do not fit together ({type(exc).__name__}: {exc})") from None
    if clf.encoder_.feature_mean.shape[0] != clf.n_features_in_:
        raise ModelBundleError(f"{path}: encoder input size does not match the feature config")
    k = len(clf.classes_)
    shapes_fit = (clf.logreg_.coef_.ndim == 2 and clf.logreg_.coef_.shape[0] in ({k} if k > 2 else {1, k})
                  and clf.centroids_.shape[:1] == (k,) and len(set(clf.classes_.tolist())) == k)
    if not shapes_fit:
        raise ModelBundleError(f"{path}: config.json lists {k} classes but the weights were trained on "
                               f"{clf.centroids_.shape[0]}; the config was edited")
    return clf
