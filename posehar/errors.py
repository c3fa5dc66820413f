"""Errors raised by posehar. Every message names the problem and what to do about it."""

from __future__ import annotations

import struct
import zipfile
import zlib

# What numpy's .npz reader (a zip archive) raises on a damaged or foreign file: a truncated or
# garbled archive, an entry with an unsupported zip version or compression method
# (NotImplementedError), an encrypted entry (RuntimeError), bad compressed data or a bad header.
NPZ_READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zlib.error, struct.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError,
)
# Suffixes of files whose loading can run code (pickle and the formats built on it): posehar refuses
# them wherever it reads a model or a dataset.
PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".pk", ".p", ".pt", ".pth", ".joblib", ".bin", ".ckpt", ".npy"})


class PoseharError(Exception):
    """Base class of every error posehar raises on purpose."""


class VideoError(PoseharError, ValueError):
    """A video path is missing, empty, not a video, or decodes no frames."""


class PoseModelError(PoseharError, ValueError):
    """The MediaPipe pose model asked for is not available offline."""


class KeypointFormatError(PoseharError, ValueError):
    """A keypoint file or array does not have a layout posehar knows."""


class ModelBundleError(PoseharError, ValueError):
    """A model bundle is missing, truncated, edited, unsafe or from another version."""


class DatasetLayoutError(PoseharError, ValueError):
    """A dataset root, split number or split file does not match the expected layout."""


class NoPersonError(PoseharError):
    """No person was detected in any frame of the input."""


class StoreError(PoseharError, ValueError):
    """A keypoint store directory is not a posehar store, is from another version, or is damaged."""
