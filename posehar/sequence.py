"""KeypointSequence: the one keypoint-sequence type used by pose output, files and models.

Coordinates are zero wherever a part was not detected; the boolean presence masks
(``pose_present``, ``left_present``, ``right_present``) are what says so, so "not
detected" is never confused with a real coordinate. Files are ``.npz`` written and read
without pickle: arrays plus one JSON string of metadata.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import NPZ_READ_ERRORS, KeypointFormatError
from .layouts import HAND_CHANNELS, HAND_JOINTS, KINECT_V1, MEDIAPIPE_POSE, get_layout

FORMAT_VERSION = 1
# Frame rates a sequence may declare (a 0.1 fps time-lapse to a 1000 fps camera): a tiny fps
# makes resampling to the model's rate allocate without bound.
MIN_FPS, MAX_FPS = 0.1, 1000.0
# The most array data one keypoint .npz may declare (checked from the headers before reading):
# an hour of holistic keypoints at 30 fps is about 110 MB.
MAX_NPZ_BYTES = 1 << 30


@dataclass
class KeypointSequence:
    """Keypoints of one person over T frames.

    pose: (T, J, C) float32 in the layout named by ``layout`` (MediaPipe: x, y, z, visibility).
    left_hand / right_hand: (T, 21, 3) float32, or None when the sequence has no hands.
    pose_present / left_present / right_present: (T,) bool detection masks.
    frame_indices: (T,) int, the source frame number of each row.
    fps: frames per second of the source; frame_size: (width, height) in pixels, (0, 0) if unknown.
    """

    pose: np.ndarray
    left_hand: np.ndarray | None = None
    right_hand: np.ndarray | None = None
    pose_present: np.ndarray | None = None
    left_present: np.ndarray | None = None
    right_present: np.ndarray | None = None
    frame_indices: np.ndarray | None = None
    fps: float = 30.0
    frame_size: tuple[int, int] = (0, 0)
    source: str = ""
    layout: str = "mediapipe_pose"
    label: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line: layout, frames, fps, hands, label and source (the arrays are not printed)."""
        hands = self.left_hand is not None or self.right_hand is not None
        return (f"KeypointSequence(layout={self.layout!r}, frames={len(self)}, fps={self.fps:g}, hands={hands}, "
                f"label={self.label!r}, source={self.source!r})")

    def __post_init__(self) -> None:
        lay = get_layout(self.layout)
        self.pose = np.asarray(self.pose, dtype=np.float32)
        if self.pose.ndim != 3 or self.pose.shape[1:] != (lay.num_joints, lay.channels):
            raise KeypointFormatError(
                f"pose must have shape (T, {lay.num_joints}, {lay.channels}) for layout "
                f"{lay.name!r}, got {self.pose.shape}"
            )
        t = self.pose.shape[0]
        for name in ("left_hand", "right_hand"):
            arr = getattr(self, name)
            if arr is not None:
                arr = np.asarray(arr, dtype=np.float32)
                if arr.shape != (t, HAND_JOINTS, HAND_CHANNELS):
                    raise KeypointFormatError(
                        f"{name} must have shape ({t}, {HAND_JOINTS}, {HAND_CHANNELS}), got {arr.shape}"
                    )
                setattr(self, name, arr)
        self.pose_present = _mask(self.pose_present, self.pose, t, "pose_present")
        self.left_present = _mask(self.left_present, self.left_hand, t, "left_present")
        self.right_present = _mask(self.right_present, self.right_hand, t, "right_present")
        if self.frame_indices is None:
            self.frame_indices = np.arange(t, dtype=np.int64)
        self.frame_indices = np.asarray(self.frame_indices, dtype=np.int64)
        if self.frame_indices.shape != (t,):
            raise KeypointFormatError(f"frame_indices must have shape ({t},), got {self.frame_indices.shape}")
        if not np.isfinite(self.pose).all():
            raise KeypointFormatError("pose contains NaN or infinite values")
        for name in ("left_hand", "right_hand"):
            arr = getattr(self, name)
            if arr is not None and not np.isfinite(arr).all():
                raise KeypointFormatError(f"{name} contains NaN or infinite values")
        # Non-decreasing: resampling to a higher frame rate repeats frames.
        if t and (self.frame_indices[0] < 0 or (np.diff(self.frame_indices) < 0).any()):
            raise KeypointFormatError("frame_indices must be >= 0 and non-decreasing")
        if len(self.frame_size) != 2:
            raise KeypointFormatError(f"frame_size must be (width, height), got {self.frame_size!r:.40}")
        self.fps = float(self.fps)
        if not np.isfinite(self.fps) or not MIN_FPS <= self.fps <= MAX_FPS:
            raise KeypointFormatError(f"fps must be between {MIN_FPS:g} and {MAX_FPS:g}, got {self.fps}")
        self.frame_size = (int(self.frame_size[0]), int(self.frame_size[1]))

    def __len__(self) -> int:
        return int(self.pose.shape[0])

    @property
    def has_hands(self) -> bool:
        """True when the sequence carries both hands' keypoints (Holistic), False for body only."""
        return self.left_hand is not None and self.right_hand is not None

    @property
    def person_fraction(self) -> float:
        """Fraction of frames in which a body was detected."""
        return float(self.pose_present.mean()) if len(self) else 0.0

    @property
    def frame_step(self) -> int:
        """Source frames from one row to the next (the median step of ``frame_indices``: a read's stride);
        1 with fewer than 2 rows."""
        if len(self.frame_indices) < 2:
            return 1
        return int(max(1, np.median(np.diff(self.frame_indices))))

    def slice(self, start: int, stop: int) -> "KeypointSequence":
        """Frames ``start:stop`` as a new sequence (arrays are views)."""
        return self._select(slice(start, stop))

    def every(self, step: int) -> "KeypointSequence":
        """Every ``step``-th frame, at ``fps / step``: what a camera that slow would have recorded."""
        out = self._select(slice(None, None, step))
        out.fps = self.fps / step
        return out

    def take(self, rows: np.ndarray) -> "KeypointSequence":
        """The frames at positions ``rows`` (e.g. to resample to another frame rate)."""
        return self._select(np.asarray(rows, dtype=np.int64))

    def _select(self, index: slice | np.ndarray) -> "KeypointSequence":
        return KeypointSequence(
            pose=self.pose[index],
            left_hand=None if self.left_hand is None else self.left_hand[index],
            right_hand=None if self.right_hand is None else self.right_hand[index],
            pose_present=self.pose_present[index],
            left_present=self.left_present[index],
            right_present=self.right_present[index],
            frame_indices=self.frame_indices[index],
            fps=self.fps, frame_size=self.frame_size, source=self.source,
            layout=self.layout, label=self.label, meta=dict(self.meta),
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the sequence as ``.npz`` (no pickle), atomically: temp file then rename."""
        path = Path(path)
        meta = {
            "format_version": FORMAT_VERSION, "fps": self.fps, "frame_size": list(self.frame_size),
            "source": self.source, "layout": self.layout, "label": self.label, "meta": self.meta,
        }
        arrays: dict[str, np.ndarray] = {
            "pose": self.pose, "pose_present": self.pose_present,
            "frame_indices": self.frame_indices, "posehar_meta": np.array(json.dumps(meta)),
        }
        if self.has_hands:
            arrays.update(left_hand=self.left_hand, right_hand=self.right_hand,
                          left_present=self.left_present, right_present=self.right_present)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda fh: np.savez_compressed(fh, **arrays))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "KeypointSequence":
        """Read a sequence written by :meth:`save` (never unpickles anything)."""
        arrays = _read_npz(path)
        if "posehar_meta" not in arrays:
            raise KeypointFormatError(
                f"{path} is not a posehar sequence file (no 'posehar_meta'); for a batch file with "
                "'labels' use posehar.sequence.load_batch"
            )
        try:
            meta = json.loads(str(arrays["posehar_meta"]))
            if not isinstance(meta, dict):
                raise KeypointFormatError(f"{path}: posehar_meta is not a JSON object")
            if meta.get("format_version") != FORMAT_VERSION:
                raise KeypointFormatError(
                    f"{path}: sequence format version {meta.get('format_version')} is not "
                    f"{FORMAT_VERSION}; re-extract it with this posehar"
                )
            if np.shape(arrays["pose"])[:1] == (0,):  # a 0-byte video is an error too, not "no person"
                raise KeypointFormatError(f"{path}: holds no frames (pose shape {arrays['pose'].shape})")
            return cls(
                pose=arrays["pose"], left_hand=arrays.get("left_hand"), right_hand=arrays.get("right_hand"),
                pose_present=arrays.get("pose_present"), left_present=arrays.get("left_present"),
                right_present=arrays.get("right_present"), frame_indices=arrays.get("frame_indices"),
                fps=meta["fps"], frame_size=tuple(meta["frame_size"]), source=meta["source"],
                layout=meta["layout"], label=meta["label"], meta=meta.get("meta") or {},
            )
        except KeypointFormatError as exc:
            if str(Path(path)) in str(exc):
                raise
            raise KeypointFormatError(f"{path}: {exc}") from None
        except (KeyError, TypeError, ValueError, IndexError, json.JSONDecodeError) as exc:
            raise KeypointFormatError(f"{path}: malformed posehar sequence file ({exc})") from None


def write_atomically(path: Path, write) -> None:
    """``write(binary file)`` into a hidden temp file beside ``path``, fsync it, rename it over ``path``.

    On any failure (a full disk, no permission, Ctrl-C) the temp file is removed, and an OSError
    about it names ``path``: the user never hears of, nor finds, the hidden file.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError) and str(tmp) in (exc.filename, exc.filename2):
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


def _mask(mask: np.ndarray | None, arr: np.ndarray | None, t: int, name: str) -> np.ndarray:
    if mask is None:
        if arr is None:
            return np.zeros(t, dtype=bool)
        return np.abs(arr.reshape(t, -1)).sum(axis=1) > 0 if t else np.zeros(0, dtype=bool)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (t,):
        raise KeypointFormatError(f"{name} must have shape ({t},), got {mask.shape}")
    return mask


def _read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    p = Path(path)
    if not p.is_file():
        raise KeypointFormatError(f"keypoint file not found: {p}")
    try:
        _check_declared_sizes(p)
        with np.load(p, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except KeypointFormatError:
        raise
    except NPZ_READ_ERRORS as exc:
        raise KeypointFormatError(f"{p} is not a readable keypoint .npz file ({exc})") from None
    for key in ("pose", "left_hand", "right_hand", "frame_indices"):
        if key in arrays and arrays[key].dtype.kind not in "fiub":
            raise KeypointFormatError(f"{p}: {key!r} holds {arrays[key].dtype} values, not numbers")
    return arrays


def declared_arrays(p: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array in .npz ``p``, from its headers alone (nothing is loaded).
    Not a zip (a bare .npy, text, ...): BadZipFile; a damaged header: ValueError."""
    import zipfile

    out = {}
    with zipfile.ZipFile(p) as zf:
        for info in zf.infolist():
            if info.filename.endswith(".npy"):
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    shape, _, dtype = np.lib.format._read_array_header(fh, version)
                out[info.filename[:-4]] = (shape, dtype)
    return out


def _check_declared_sizes(p: Path) -> None:
    """Refuse an .npz whose members declare more than MAX_NPZ_BYTES, from their headers alone."""
    total = 0
    for name, (shape, dtype) in declared_arrays(p).items():
        size = int(np.prod(shape, dtype=object)) * max(dtype.itemsize, 1)
        total += size
        if total > MAX_NPZ_BYTES:
            raise KeypointFormatError(
                f"{p}: {name!r} declares shape {shape} ({size / 2**30:.1f} GiB); too large for a "
                f"keypoint file (at most {MAX_NPZ_BYTES / 2**30:g} GiB of arrays in all)")


def batch_sidecar(path: Path) -> dict[str, Any]:
    """The ``<name>.json`` beside batch file ``path`` ({} when there is none)."""
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        return {}
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KeypointFormatError(f"{sidecar}: invalid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise KeypointFormatError(f"{sidecar}: must be a JSON object, got {type(meta).__name__}")
    return meta


def batch_subject(path: Path) -> str:
    """The person of batch file ``path``: its sidecar's ``subject``, else the file's name."""
    return str(batch_sidecar(path).get("subject", path.stem))


def load_batch(path: str | os.PathLike) -> list[KeypointSequence]:
    """Read a batch file of N equal-length sequences, as in ``shared/data/keypoints``.

    Arrays: ``pose`` (N, T, 33, 4), optional ``left_hand``/``right_hand`` (N, T, 21, 3) with
    zeros where a hand was not seen, ``labels`` (N,) str. A ``<name>.json`` beside it, if any,
    is kept in each sequence's ``meta`` (subject, source repository, license, mirroring).
    """
    p = Path(path)
    arrays = _read_npz(p)
    for key in ("pose", "labels"):
        if key not in arrays:
            raise KeypointFormatError(f"{p}: batch keypoint file needs a {key!r} array; found {sorted(arrays)}")
    pose, labels = arrays["pose"], arrays["labels"]
    if pose.ndim != 4 or labels.shape != (pose.shape[0],):
        raise KeypointFormatError(
            f"{p}: expected pose (N, T, J, C) and labels (N,), got {pose.shape} and {labels.shape}"
        )
    layout = next((lay.name for lay in (MEDIAPIPE_POSE, KINECT_V1) if pose.shape[2:] == (lay.num_joints, lay.channels)),
                  None)
    if layout is None:
        raise KeypointFormatError(f"{p}: unknown keypoint layout with {pose.shape[2]} joints x {pose.shape[3]} channels")
    left, right = arrays.get("left_hand"), arrays.get("right_hand")
    if (left is None) != (right is None):
        raise KeypointFormatError(f"{p}: has only one of left_hand/right_hand")
    sidecar = p.with_suffix(".json")
    meta = batch_sidecar(p)
    if pose.shape[1] == 0:
        raise KeypointFormatError(f"{p}: its sequences hold no frames (pose shape {pose.shape})")
    try:
        fps = float(meta.get("fps", 30.0))
    except (TypeError, ValueError):
        raise KeypointFormatError(f"{sidecar}: 'fps' must be a number, got {meta.get('fps')!r:.40}") from None
    if not MIN_FPS <= fps <= MAX_FPS:  # NaN fails too
        raise KeypointFormatError(f"{sidecar}: fps must be between {MIN_FPS:g} and {MAX_FPS:g}, got {fps}")
    meta.setdefault("subject", p.stem)
    sequences = []
    for i in range(pose.shape[0]):
        sequences.append(_in_file(p, lambda: KeypointSequence(
            pose=pose[i],
            left_hand=None if left is None else left[i],
            right_hand=None if right is None else right[i],
            fps=fps,
            source=f"{p}#{i}", layout=layout, label=str(labels[i]), meta=meta,
        )))
    return sequences


def _in_file(path: Path, make):
    """``make()``, with a KeypointFormatError (or a bad value) reported as an error of ``path``."""
    try:
        return make()
    except (KeypointFormatError, ValueError, TypeError) as exc:
        raise KeypointFormatError(f"{path}: {exc}") from None


def load_folder(folder: str | os.PathLike) -> tuple[list[KeypointSequence], list[str], list[str]]:
    """Read every batch ``.npz`` in ``folder``: one file per person = one group.

    Returns (sequences, labels, groups).
    """
    root = Path(folder)
    if not root.is_dir():
        what = "is a file, not a folder of keypoint .npz files" if root.exists() else "not found"
        raise KeypointFormatError(f"keypoint folder {what}: {root}")
    files = sorted(root.glob("*.npz"))
    if not files:
        raise KeypointFormatError(f"{root} holds no .npz keypoint files")
    sequences: list[KeypointSequence] = []
    groups: list[str] = []
    for f in files:
        batch = load_batch(f)
        sequences.extend(batch)
        groups.extend(str(s.meta["subject"]) for s in batch)
    return sequences, [s.label for s in sequences], groups
