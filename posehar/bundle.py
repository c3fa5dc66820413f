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
Every value read is checked (finite weights, shapes that fit the encoder, thresholds in range,
frame rate, window and sizes within bounds) before anything is allocated from it.

The bundle digest (:func:`bundle_digest`, shown by ``posehar info`` and in the model card) is
one sha256 over config.json and both weight files. It proves that a bundle is byte for byte the
one whose digest you hold, if you got that digest from a source you trust; a digest read from
the bundle's own model card proves nothing, since whoever edits a bundle can rewrite its card.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .augment import AugmentConfig
from .encoder import GRUEncoder, frame_max_levels
from .bundle_files import BUNDLE_FORMAT, CLASSIFIER, CONFIG, ENCODER, MODEL_CARD
from .errors import NPZ_READ_ERRORS, PICKLE_SUFFIXES, ModelBundleError
from .features import FeatureConfig
from .modelcard import render_model_card
from .outputs import json_safe
from .video import MAX_FPS, MIN_FPS

if TYPE_CHECKING:
    from .classifier import PoseActionClassifier

BUNDLE_VERSION = 1
# How bundles written before these parameters existed were trained: no finger features, and the
# encoder kept from its best validation epoch (early stopping).
OLDER_BUNDLE_PARAMS = {"fingers": False, "early_stopping": True}
# Bounds on what a config may ask for, so an edited config cannot make posehar allocate
# gigabytes: (low, high) inclusive.
_BOUNDS = {"fps": (MIN_FPS, MAX_FPS), "window": (1, 10_000), "hidden_size": (1, 4096), "num_layers": (1, 8),
           "input_dim": (1, 100_000)}
_DIGEST_FILES = (CONFIG, ENCODER, CLASSIFIER)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def bundle_digest(path: str | os.PathLike) -> str:
    """One sha256 over the whole bundle: config.json and both weight files (not the model card)."""
    h = hashlib.sha256(b"posehar-bundle-digest-v1\n")
    for name in _DIGEST_FILES:
        f = Path(path) / name
        if not f.is_file():
            raise ModelBundleError(f"{path} is missing {name}; copy the whole bundle folder")
        h.update(f"{name} {_sha256(f)}\n".encode())
    return h.hexdigest()


def check_digest(path: str | os.PathLike, expected: str) -> str:
    """Raise ModelBundleError unless the bundle's digest is ``expected``; return the digest."""
    digest = bundle_digest(path)
    if digest != expected.strip().lower().removeprefix("sha256:"):
        raise ModelBundleError(f"{path}: bundle digest {digest} is not the expected {expected}; "
                               "the model is not the one you expect (edited, replaced or another version)")
    return digest


def _number(section: str, key: str, value, low=None, high=None, integer: bool = False, lowest_open: bool = False):
    """A config value checked to be a (whole) finite number in [low, high]; raises ModelBundleError."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if ok and low is not None:
        ok = value > low if lowest_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        kind = "a whole number" if integer else "a finite number"
        span = f" in {'(' if lowest_open else '['}{low}, {high}]" if low is not None else ""
        raise ModelBundleError(f"{CONFIG}: {section}.{key} must be {kind}{span}, got {value!r:.40}; "
                               "the config was edited or is damaged")
    return int(value) if integer else float(value)


def check_config_values(config: dict[str, Any]) -> None:
    """Check every number the loader uses from a config (raises ModelBundleError)."""
    enc, params, th = config["encoder"], config["params"], config["thresholds"]
    sections = (("encoder", enc), ("params", params), ("thresholds", th), ("feature_config", config["feature_config"]))
    for section, value in sections:
        if not isinstance(value, dict):
            raise ModelBundleError(f"{CONFIG}: {section!r} must be an object, got {value!r:.40}")
    for key in ("input_dim", "hidden_size", "num_layers"):
        _number("encoder", key, enc.get(key), *_BOUNDS[key], integer=True)
    _number("encoder", "num_classes", enc.get("num_classes"), len(config["classes"]), len(config["classes"]), integer=True)
    _number("encoder", "dropout", enc.get("dropout", 0.0), 0.0, 1.0)
    if not isinstance(enc.get("bidirectional", False), bool):
        raise ModelBundleError(f"{CONFIG}: encoder.bidirectional must be true or false")
    # Pyramid levels 0-2; bundles written before the halves were added say true or false (1 or 0).
    try:
        frame_max_levels(enc.get("frame_max", 0))
    except ValueError:
        raise ModelBundleError(f"{CONFIG}: encoder.frame_max must be 0, 1 or 2 (or true or false)") from None
    _number("params", "fps", params.get("fps", 30.0), *_BOUNDS["fps"])
    _number("params", "window", params.get("window", 30), *_BOUNDS["window"], integer=True)
    for key in ("hidden_size", "num_layers", "frame_max"):
        if key in params and params[key] != enc.get(key, 0):
            raise ModelBundleError(f"{CONFIG}: params.{key} ({params[key]!r:.20}) differs from encoder.{key} "
                                   f"({enc.get(key, 0)})")
    _number("thresholds", "confidence", th.get("confidence"), 0.0, 1.0)
    _number("thresholds", "novelty", th.get("novelty"), 0.0, None, lowest_open=True)
    _number("thresholds", "input", th.get("input"), 0.0, None, lowest_open=True)


def _mirror_classes(config: dict[str, Any], clf) -> np.ndarray | None:
    """Each class's mirror-image class as the bundle says; a bundle written before it said so used mirror
    images (labelled with their own class) wherever its parameters asked for them."""
    k = len(clf.classes_)
    if "mirror_classes" not in config:
        return np.arange(k) if clf._asks_for_mirrors() else None
    twins = config["mirror_classes"]
    if twins is None:
        return None
    ok = (isinstance(twins, list) and len(twins) == k
          and all(isinstance(t, int) and not isinstance(t, bool) and 0 <= t < k for t in twins)
          and all(twins[t] == i for i, t in enumerate(twins)))
    if not ok:
        raise ModelBundleError(f"{CONFIG}: mirror_classes must be null or, for each of the {k} classes, the index "
                               f"of its mirror-image class (each the other's twin), got {twins!r:.60}")
    return np.asarray(twins, dtype=np.int64)


def _check_arrays(path: Path, clf, state: dict) -> None:
    """Weights finite and of shapes that fit the encoder and the classes (raises ModelBundleError)."""
    bad = sorted(k for k, v in state.items() if not v.is_floating_point() or not bool(v.isfinite().all()))
    if bad:
        raise ModelBundleError(f"{path / ENCODER}: {', '.join(bad)} hold NaN, infinite or non-float values")
    k, dim = len(clf.classes_), clf.encoder_.vector_dim
    arrays = {"coef": clf.logreg_.coef_, "intercept": clf.logreg_.intercept_, "scaler_mean": clf.scaler_.mean_,
              "scaler_scale": clf.scaler_.scale_, "centroids": clf.centroids_}
    rows = k if k > 2 else clf.logreg_.coef_.shape[0] if clf.logreg_.coef_.ndim == 2 else -1
    shapes = {"coef": (rows, dim), "intercept": (rows,), "scaler_mean": (dim,), "scaler_scale": (dim,),
              "centroids": (k, dim)}
    for name, arr in arrays.items():
        if arr.dtype.kind not in "fiu" or arr.shape != shapes[name] or (k <= 2 and rows not in (1, k)):
            raise ModelBundleError(f"{path / CLASSIFIER}: {name} has shape {arr.shape} ({arr.dtype}), expected "
                                   f"{shapes[name]} for {k} classes and a {dim}-dimensional temporal vector")
        if not np.isfinite(arr).all():
            raise ModelBundleError(f"{path / CLASSIFIER}: {name} holds NaN or infinite values")
    if (clf.scaler_.scale_ <= 0).any():
        raise ModelBundleError(f"{path / CLASSIFIER}: scaler_scale must be > 0")


def _versions() -> dict[str, str]:
    import mediapipe
    import sklearn
    import torch

    from ._version import __version__

    return {"posehar": __version__, "torch": torch.__version__, "scikit-learn": sklearn.__version__,
            "mediapipe": mediapipe.__version__, "numpy": np.__version__, "python": platform.python_version()}


# Paths that save_model may replace although they are not bundles (train/personalize --force), set
# by the command around the training functions that save: see forcing().
_FORCED: contextvars.ContextVar[frozenset] = contextvars.ContextVar("posehar_forced_outputs", default=frozenset())


@contextlib.contextmanager
def forcing(path: str | os.PathLike):
    """Within it, :func:`save_model` to ``path`` replaces whatever is there (``--force``), still
    never the current folder, one above it, home or the root (see posehar.outputs)."""
    token = _FORCED.set(_FORCED.get() | {Path(os.path.abspath(path))})
    try:
        yield
    finally:
        _FORCED.reset(token)


def save_model(clf: PoseActionClassifier, path: str | os.PathLike, training: dict[str, Any] | None = None,
               model_card: str | None = None, force: bool = False) -> Path:
    """Write a fitted PoseActionClassifier as a bundle folder (atomically: temp folder, then rename).

    ``path`` may be new or an existing posehar bundle (replaced whole); anything else there (a
    file, a folder of other files) is refused with OutputPathError unless ``force`` (or
    :func:`forcing` of ``path``), and nothing is left behind when writing fails. The model card
    (README.md) records the bundle digest.
    """
    from .outputs import Output, check_output

    if not hasattr(clf, "encoder_"):
        raise ModelBundleError("the classifier is not fitted; call fit() before saving it")
    path = Path(os.path.abspath(path))
    force = force or path in _FORCED.get()
    check_output(Output(path, "model bundle", bundle=True, force=force))
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _write_bundle(clf, tmp, path.name, training, model_card)
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
            try:
                os.replace(tmp, path)
            except BaseException:
                os.replace(old, path)
                raise
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:  # --force over a file or a link
                old.unlink(missing_ok=True)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def _write_bundle(clf, tmp: Path, name: str, training: dict[str, Any] | None, model_card: str | None) -> None:
    from safetensors.torch import save_file

    state = {k: v.detach().contiguous() for k, v in clf.encoder_.state_dict().items()}
    save_file(state, str(tmp / ENCODER))
    with open(tmp / CLASSIFIER, "wb") as fh:
        np.savez(fh, coef=clf.logreg_.coef_, intercept=clf.logreg_.intercept_, scaler_mean=clf.scaler_.mean_,
                 scaler_scale=clf.scaler_.scale_, centroids=clf.centroids_)
    params = clf.get_params(deep=False)
    params["augment"] = params["augment"].as_dict() if params["augment"] else None
    params["encoder_from"] = None  # its weights are this bundle's starting point, already in the encoder
    enc = clf.encoder_
    # The fitted encoder's own shape, whatever set_params has changed since fit.
    params.update(hidden_size=enc.gru.hidden_size, num_layers=enc.gru.num_layers,
                  bidirectional=enc.gru.bidirectional, frame_max=enc.frame_max)
    config = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "classes": [int(c) if isinstance(c, np.integer) else str(c) for c in clf.classes_],  # integer labels stay so
        "mirror_classes": None if clf.mirror_class_ is None else clf.mirror_class_.tolist(),
        "feature_config": clf.feature_config_.as_dict(),
        "encoder": {"input_dim": int(enc.feature_mean.shape[0]), "num_classes": len(clf.classes_),
                    **{k: params[k] for k in ("hidden_size", "num_layers", "bidirectional")}, "dropout": clf.dropout,
                    "frame_max": params["frame_max"]},
        "params": params,
        "thresholds": {"confidence": clf.confidence_threshold_, "novelty": clf.novelty_threshold_,
                       "input": clf.input_threshold_},
        "history": clf.history_,
        "training": training or {},
        "files": {f: _sha256(tmp / f) for f in (ENCODER, CLASSIFIER)},
    }
    try:
        check_config_values(json.loads(json.dumps(config, default=float)))
        config = json_safe(json.loads(json.dumps(config, default=float)))  # NaN in a record -> null
        text = json.dumps(config, indent=2, allow_nan=False)
    except (ValueError, ModelBundleError) as exc:
        raise ModelBundleError(f"not saving {name}: the fitted model has a value that is not a finite number ({exc}); "
                               "usually a class without enough people outside the validation split") from None
    (tmp / CONFIG).write_text(text)
    digest = bundle_digest(tmp)
    if model_card is None:
        shown = {**config, "params": {**OLDER_BUNDLE_PARAMS, **config["params"]}}
        model_card = render_model_card(name, json.loads(json.dumps(shown, default=float)), digest=digest)
    (tmp / MODEL_CARD).write_text(model_card)
    mode = 0o666 & ~_umask()
    for f in tmp.iterdir():  # safetensors writes 0600; every file of a bundle gets the same mode
        os.chmod(f, mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
        raise ModelBundleError(f"model not found: {path} is not a bundle folder (a shipped model's name, such as "
                               "body_actions, is read by posehar.models.get_model)")
    if not path.is_dir():
        raise ModelBundleError(f"{path} is not a model bundle folder (expected {CONFIG}, {ENCODER}, {CLASSIFIER})")
    unsafe = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
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
    names = isinstance(classes, list) and all(isinstance(c, str) for c in classes)
    numbers = isinstance(classes, list) and all(isinstance(c, int) and not isinstance(c, bool) for c in classes)
    if not (names or numbers) or len(classes) < 2:
        raise ModelBundleError(f"{cfg_path}: 'classes' must be a list of 2 or more class names (or of integer "
                               f"labels), got {classes!r:.80}")
    try:
        check_config_values(config)
    except ModelBundleError as exc:
        raise ModelBundleError(f"{path}/{exc}") from None
    return config


def load_model(path: str | os.PathLike, expect_digest: str | None = None) -> PoseActionClassifier:
    """Load a bundle folder as a fitted PoseActionClassifier, executing no code from the files.

    With ``expect_digest``, the bundle must have that :func:`bundle_digest` (else ModelBundleError)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from sklearn.preprocessing import StandardScaler

    from .classifier import PoseActionClassifier, logistic_head

    path = Path(path)
    config = read_config(path)
    if expect_digest is not None:
        check_digest(path, expect_digest)
    try:
        params = {**OLDER_BUNDLE_PARAMS, **config["params"]}
        params.pop("validation_min_people", None)  # bundles of 2026-12-06 (one session): now refit_below_people
        params["augment"] = AugmentConfig(**params["augment"]) if params.get("augment") else None
        clf = PoseActionClassifier(**params)
        classes = config["classes"]
        clf.classes_ = np.asarray(classes, dtype=np.int64 if isinstance(classes[0], int) else str)
        clf.mirror_class_ = _mirror_classes(config, clf)
        older_features = {k: v for k, v in OLDER_BUNDLE_PARAMS.items() if k in FeatureConfig.__dataclass_fields__}
        clf.feature_config_ = FeatureConfig(**{**older_features, **config["feature_config"]})
        clf.encoder_ = GRUEncoder(**config["encoder"])
        state = load_file(str(path / ENCODER))
        clf.encoder_.load_state_dict(state)
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
    _check_arrays(path, clf, state)
    return clf
