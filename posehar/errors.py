"""Errors raised by posehar. Every message names the problem and what to do about it."""

from __future__ import annotations


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
