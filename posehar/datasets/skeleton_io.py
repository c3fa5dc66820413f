"""What the original-format skeleton readers share: joint names, number parsing, MAT-file reading.

Joint names are spelled exactly as in the shared ``.npz`` files of the same source, so a clip's
layout can be identified from its ``joint_names`` alone. Every problem with a file is a
:class:`~posehar.errors.DatasetLayoutError` that names the file. Nothing here unpickles:
MAT v5 files are read with :func:`scipy.io.loadmat`, which has no pickle path.
"""

from __future__ import annotations

import math
import os
import re
import struct
import zlib
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import PICKLE_SUFFIXES, DatasetLayoutError
from .base import existing_dir, preview


def refuse_pickle(path: Path) -> None:
    """DatasetLayoutError for a pickle file: posehar never unpickles (it can run code)."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise DatasetLayoutError(f"{path}: pickle files are never loaded (unpickling can run code)")


def read_bytes(path: str | os.PathLike, what: str) -> bytes:
    """The bytes of ``path``, or DatasetLayoutError if it is not a readable, non-empty file."""
    path = Path(path)
    refuse_pickle(path)
    if not path.is_file():
        raise DatasetLayoutError(f"{what} file {path} does not exist")
    data = path.read_bytes()
    if not data.strip():
        raise DatasetLayoutError(f"{path}: the {what} file is empty")
    return data


def read_lines(path: str | os.PathLike, what: str) -> list[str]:
    """Non-empty lines of a text file (LF or CRLF, UTF-8 with or without BOM), stripped."""
    data = read_bytes(path, what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetLayoutError(f"{path}: not a text {what} file ({exc.reason} at byte {exc.start})") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def floats(tokens: Sequence[str], where: str) -> list[float]:
    """``tokens`` as finite floats, or DatasetLayoutError naming the first bad one."""
    out = []
    for token in tokens:
        try:
            value = float(token)
        except ValueError:
            raise DatasetLayoutError(f"{where}: {token[:40]!r} is not a number") from None
        if not math.isfinite(value):
            raise DatasetLayoutError(f"{where}: {token[:40]!r} is not a finite number")
        out.append(value)
    return out


def finite_array(values: Any, where: str, shape_note: str = "") -> np.ndarray:
    """``values`` as a float array, refusing non-numeric or non-finite entries."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DatasetLayoutError(f"{where}: non-numeric values {shape_note}({exc})") from None
    if not np.isfinite(array).all():
        raise DatasetLayoutError(f"{where}: NaN or infinite values")
    return array


def load_mat(path: str | os.PathLike, required: Iterable[str]) -> dict[str, np.ndarray]:
    """Variables of a MAT v5 file (``scipy.io.loadmat``, never a pickle), checked to hold ``required``."""
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    path = Path(path)
    read_bytes(path, "MAT")
    try:
        data = loadmat(str(path), squeeze_me=False, struct_as_record=True)
    except (MatReadError, ValueError, TypeError, OSError, EOFError, NotImplementedError, KeyError, IndexError,
            AttributeError, struct.error, zlib.error) as exc:
        raise DatasetLayoutError(f"{path} is not a readable MAT v5 file ({type(exc).__name__}: {exc})") from None
    found = sorted(k for k in data if not k.startswith("__"))
    missing = [k for k in required if k not in data]
    if missing:
        raise DatasetLayoutError(f"{path}: MAT variable(s) {', '.join(missing)} missing; found: {preview(found)}")
    return data


def mat_string(value: np.ndarray, where: str, name: str) -> str:
    """A MAT char variable (loadmat gives an array of str) as one string."""
    flat = np.asarray(value).ravel()
    if flat.size != 1 or not isinstance(flat[0], str):
        raise DatasetLayoutError(f"{where}: MAT variable {name!r} is not a string (got {flat[:3]!r})")
    return flat[0].strip()


def mat_int(value: np.ndarray, where: str, name: str) -> int:
    """A 1x1 numeric MAT variable as an int."""
    flat = np.asarray(value).ravel()
    if flat.size != 1 or not np.issubdtype(flat.dtype, np.number):
        raise DatasetLayoutError(f"{where}: MAT variable {name!r} is not one number (got shape {np.shape(value)})")
    return int(flat[0])


def find_files(root: str | os.PathLike, pattern: re.Pattern[str], what: str) -> list[Path]:
    """Non-hidden files under ``root`` (recursively) whose name matches ``pattern``, sorted by path."""
    root = existing_dir(root, what)
    found = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and pattern.search(p.name))
    if not found:
        raise DatasetLayoutError(f"{what} root {root} holds no files named like {pattern.pattern}")
    return found


def subject_folds(subjects: Iterable[str], fold: int, folds: int = 5) -> set[str]:
    """Test subjects of cross-subject fold ``fold`` (1..folds): every ``folds``-th of the sorted subjects."""
    if isinstance(fold, bool) or not isinstance(fold, int) or not 1 <= fold <= folds:
        raise DatasetLayoutError(f"cross-subject fold must be 1-{folds}, got {fold!r}")
    ordered = sorted(set(subjects))
    return set(ordered[fold - 1::folds])
