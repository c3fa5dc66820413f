"""A folder of labelled clips, ``CLIPS/<class>/<video or keypoint .npz>``, as keypoint sequences.

Videos go through the pose stage once: their keypoints are kept in a keypoint store (by
default ``$XDG_CACHE_HOME/posehar/keypoints``, keyed by each video's content and the pose
settings), so reading the same clips again, or with another class layout, costs nothing.
Keypoint ``.npz`` files (from ``posehar pose``) are read as they are. Groups (people) come
from an optional ``relative_path,group`` CSV, as for the custom dataset; without one each
clip is its own group.
"""

from __future__ import annotations

import os
from pathlib import Path

from .datasets.base import VIDEO_EXTENSIONS, Sample, existing_dir, files_with, preview, subdirs
from .datasets.custom import _read_groups
from .errors import DatasetLayoutError
from .pose import PoseSettings
from .sequence import KeypointSequence


def cache_dir() -> Path:
    """Where posehar keeps keypoints of clips it has read (``$XDG_CACHE_HOME/posehar/keypoints``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "posehar" / "keypoints"


def is_clip_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder laid out as ``CLIPS/<class>/<clip>``: no keypoint files of its own,
    and at least one class folder of videos or keypoint .npz files."""
    root = Path(path)
    if not root.is_dir() or files_with(root, (".npz",)):
        return False
    return any(files_with(root / label, (*VIDEO_EXTENSIONS, ".npz")) for label in subdirs(root))


def read_clip_folder(root: str | os.PathLike, settings: PoseSettings = PoseSettings(keypoints="body"),
                     groups_file: str | os.PathLike | None = None, store: str | os.PathLike | None = None,
                     workers: int = 1, progress: bool = True) -> tuple[list[KeypointSequence], list[str], list[str]]:
    """(sequences, labels, groups) of every clip in ``root``'s class folders."""
    from .extract import extract_dataset
    from .store import KeypointStore

    root = existing_dir(root, "clips")
    clips: list[tuple[Path, str, str]] = []
    for label in subdirs(root):
        found = files_with(root / label, (*VIDEO_EXTENSIONS, ".npz"))
        clips += [(p, label, "video" if p.suffix.lower() != ".npz" else "keypoints") for p in found]
    if not clips:
        raise DatasetLayoutError(f"{root} holds no class folders of videos ({' '.join(VIDEO_EXTENSIONS)}) or "
                                 f"keypoint .npz files; expected CLIPS/<class>/<clip>; found: "
                                 f"{preview(sorted(os.listdir(root)))}")
    groups = _read_groups(groups_file, root, clips) if groups_file is not None else {}
    samples = [Sample(p, label, groups.get(p.relative_to(root).as_posix(), p.stem), kind) for p, label, kind in clips]
    videos = [s for s in samples if s.kind == "video"]
    by_source: dict[Path, KeypointSequence] = {}
    if videos:
        kp_store = KeypointStore(store or cache_dir())
        report = extract_dataset(videos, kp_store, settings, workers=workers, progress=progress)
        failed = [r for r in report.results if r.status in ("failed", "error", "busy")]
        if failed:
            raise DatasetLayoutError(f"{len(failed)} clip(s) gave no keypoints, e.g. {failed[0].source}: "
                                     f"{failed[0].reason}")
        for s in videos:
            seq = kp_store.get(s, settings)
            if seq is None:
                raise DatasetLayoutError(f"no keypoints were stored for {s.source}")
            by_source[s.source] = seq
    X = [by_source[s.source] if s.kind == "video" else KeypointSequence.load(s.source) for s in samples]
    return X, [s.label for s in samples], [s.group for s in samples]
