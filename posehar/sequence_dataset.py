"""A dataset's samples as keypoint sequences, torchvision style: ``ds[i]`` is ``(sequence, target)``.

:mod:`posehar.datasets` loaders only index files (a :class:`~posehar.datasets.Sample` per clip);
:class:`SequenceDataset` reads each sample when it is indexed: a shared-format set file's or a keypoint
folder's own ``sequence(i)``, a skeleton file of an original format through
:func:`~posehar.datasets.read_skeleton_sample` mapped to the common body, and a video from a keypoint
store (``posehar extract`` writes one; videos are never decoded here).
"""

from __future__ import annotations

import os
from typing import Callable

from .body import to_common
from .datasets.base import ActionDataset
from .datasets.skeletons import SKELETON_READERS, read_skeleton_sample
from .errors import StoreError
from .pose import PoseSettings
from .sequence import KeypointSequence
from .store import KeypointStore


class SequenceDataset:
    """``dataset``'s samples read as KeypointSequences: ``ds[i]`` is ``(transform(sequence), target)``,
    ``target`` the index of its label in ``dataset.classes``.

    ``store`` (a keypoint store folder) and ``settings`` (the pose settings it was extracted with) are
    needed only for video samples. ``transform`` is applied to each sequence (e.g.
    ``posehar.body.sequence_to_common``).
    """

    def __init__(self, dataset: ActionDataset, transform: Callable[[KeypointSequence], object] | None = None,
                 store: str | os.PathLike | None = None, settings: PoseSettings = PoseSettings(keypoints="body")):
        self.dataset, self.transform, self.settings = dataset, transform, settings
        self.store = KeypointStore(store, create=False) if store is not None else None

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple[object, int]:
        seq = self.sequence(i)
        return (self.transform(seq) if self.transform else seq), self.dataset.targets[i]

    @property
    def classes(self) -> list[str]:
        """The dataset's class names, in target order."""
        return self.dataset.classes

    def sequence(self, i: int) -> KeypointSequence:
        """Sample ``i`` as a KeypointSequence, labelled (before ``transform``)."""
        sample = self.dataset[i]
        if hasattr(self.dataset, "sequence"):
            return self.dataset.sequence(i)
        if sample.kind in SKELETON_READERS:
            return to_common(read_skeleton_sample(sample))
        if self.store is None:
            raise StoreError(f"{sample.source} is a video: give store= (a folder made by 'posehar extract')")
        seq = self.store.get(sample, self.settings)
        if seq is None:
            raise StoreError(f"{sample.source} is not in {self.store.root} with these pose settings; "
                             "run 'posehar extract' first")
        return seq
