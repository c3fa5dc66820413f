"""Read one skeleton sample (of an original-format dataset or a shared-format set file): :func:`read_skeleton_sample`.

Every reader returns a :class:`~posehar.skeleton.SkeletonClip` in the source's own layout
(joint names as in the shared ``.npz`` files), units and frame rate.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

from ..errors import DatasetLayoutError
from ..skeleton import SkeletonClip
from .base import Sample
from .g3d import read_g3d_json_frames
from .kinder_gator import read_kinder_gator_csv
from .msrc12 import read_msrc12_window
from .ntu_rgbd import read_ntu_performer
from .nw_ucla import read_ucla_json
from .penn_action import read_penn_mat
from .skeleton_file import SkeletonFile
from .utd_mhad import read_utd_skeleton

SKELETON_READERS: dict[str, Callable[[Sample], SkeletonClip]] = {
    "ntu_skeleton": lambda s: read_ntu_performer(s.source),
    "penn_mat": lambda s: read_penn_mat(s.source),
    "msrc12_window": lambda s: read_msrc12_window(s.source, 0 if s.index is None else s.index),
    "utd_mat": lambda s: read_utd_skeleton(s.source),
    "ucla_json": lambda s: read_ucla_json(s.source),
    "kinder_gator_csv": lambda s: read_kinder_gator_csv(s.source),
    "g3d_json": lambda s: read_g3d_json_frames(s.source),
    "skeleton_npz": lambda s: _set_file(str(Path(s.source).resolve()),
                                        Path(s.source).stat().st_mtime_ns).clip(s.index),
}


@lru_cache(maxsize=4)
def _set_file(path: str, mtime_ns: int) -> SkeletonFile:
    """A shared-format set file, opened once while it is unchanged (its samples are rows of one file)."""
    return SkeletonFile(path)


def read_skeleton_sample(sample: Sample) -> SkeletonClip:
    """The clip of ``sample`` by its ``kind`` (NTU: the main performer; MSRC-12: the window of
    action point ``sample.index``, every 2nd frame as in the shared npz)."""
    try:
        reader = SKELETON_READERS[sample.kind]
    except KeyError:
        raise DatasetLayoutError(
            f"{sample.source}: sample kind {sample.kind!r} is not a skeleton kind; known: {', '.join(SKELETON_READERS)}"
        ) from None
    return reader(sample)
