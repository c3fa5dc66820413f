"""Build a MediaPipe Tasks ``PoseLandmarker`` ``.task`` bundle from the mediapipe wheel's own files.

mediapipe 0.10.21 ships the BlazePose detector and landmark models for the legacy
``solutions.pose`` graph (``modules/pose_detection/pose_detection.tflite`` and
``modules/pose_landmark/pose_landmark_full.tflite``) but not the ``.task`` bundle that the Tasks
API's PoseLandmarker reads, which Google serves as a download. The bundle is just a zip of the two
models named ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``, each carrying TFLite
metadata that tells the Tasks graph how to normalise the input image: the detector takes
``(pixel - 127.5) / 127.5``, the landmark model ``pixel / 255``. We add that metadata with
mediapipe's own ``metadata_writers`` (an image input plus one feature output per output tensor)
and zip the two. Nothing is downloaded.

The bundle is cached in ``$POSEHAR_CACHE`` or ``$XDG_CACHE_HOME/posehar`` (default
``~/.cache/posehar``) under a name keyed by the SHA-256 of both wheel files, written atomically,
and checked (a zip holding exactly the two models, each with metadata) every time it is used;
a damaged cached file is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

from ..errors import PoseModelError

DETECTOR = ("pose_detection", "pose_detection.tflite", "pose_detector.tflite", 127.5, 127.5)
LANDMARKS = ("pose_landmark", "pose_landmark_full.tflite", "pose_landmarks_detector.tflite", 0.0, 255.0)
_METADATA_ID = b"TFL3"  # flatbuffer file identifier of the TFLite metadata buffer


def cache_dir() -> Path:
    """Where posehar keeps built files (the PoseLandmarker bundle)."""
    if os.environ.get("POSEHAR_CACHE"):
        return Path(os.environ["POSEHAR_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "posehar"


def wheel_models() -> dict[str, Path]:
    """The two BlazePose model files of the installed mediapipe wheel, or PoseModelError."""
    try:
        import mediapipe
    except ImportError as e:  # pragma: no cover - mediapipe is a dependency
        raise PoseModelError(f"multi-person pose needs mediapipe==0.10.21 ({e})") from e
    root = Path(mediapipe.__file__).parent / "modules"
    found = {}
    for folder, name, bundle_name, _, _ in (DETECTOR, LANDMARKS):
        path = root / folder / name
        if not path.is_file() or path.stat().st_size == 0:
            raise PoseModelError(
                f"multi-person pose needs {folder}/{name} from the mediapipe wheel, but the installed mediapipe "
                f"{getattr(mediapipe, '__version__', '?')} has no {path}; install mediapipe==0.10.21 "
                "(the last wheel that ships the BlazePose models; nothing is downloaded)")
        found[bundle_name] = path
    return found


def _with_metadata(model: bytes, name: str, mean: float, std: float) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, writer_utils

    writer = metadata_writer.MetadataWriter.create(bytearray(model)).add_general_info(
        name, "BlazePose model from the mediapipe wheel, metadata added by posehar")
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for i, _ in enumerate(writer_utils.get_output_tensor_types(model)):
        writer.add_feature_output(name=f"output_{i}")
    content, _ = writer.populate()
    return bytes(content)


def check_bundle(path: Path) -> None:
    """Raise PoseModelError unless ``path`` is a PoseLandmarker bundle as :func:`pose_task_bundle` writes it."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = sorted(zf.namelist())
            if names != sorted([DETECTOR[2], LANDMARKS[2]]):
                raise PoseModelError(f"{path} is not a PoseLandmarker bundle (holds {names})")
            if zf.testzip() is not None:
                raise PoseModelError(f"{path} is damaged (a CRC check failed)")
            for name in names:
                if _METADATA_ID not in zf.read(name):
                    raise PoseModelError(f"{path}: {name} has no TFLite metadata")
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise PoseModelError(f"{path} is not a readable PoseLandmarker bundle ({e})") from e


def pose_task_bundle(cache: str | os.PathLike | None = None) -> Path:
    """Path of the PoseLandmarker ``.task`` bundle built from the wheel's models (built once, cached)."""
    models = wheel_models()
    digest = hashlib.sha256()
    for bundle_name in sorted(models):
        digest.update(bundle_name.encode() + hashlib.sha256(models[bundle_name].read_bytes()).digest())
    folder = Path(cache) if cache is not None else cache_dir()
    path = folder / f"pose_landmarker_full-{digest.hexdigest()[:16]}.task"
    if path.is_file():
        try:
            check_bundle(path)
            return path
        except PoseModelError:
            pass  # rebuilt below
    from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import create_model_asset_bundle

    contents = {}
    for _, name, bundle_name, mean, std in (DETECTOR, LANDMARKS):
        contents[bundle_name] = _with_metadata(models[bundle_name].read_bytes(), name, mean, std)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".pose_landmarker.", suffix=".tmp")
    os.close(fd)
    try:
        create_model_asset_bundle(contents, tmp)
        check_bundle(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
