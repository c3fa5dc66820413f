"""KTH human actions with the standard person split or a person-range split."""

from __future__ import annotations

import os
import re
from typing import Iterable

from ..errors import DatasetLayoutError
from .base import ActionDataset, Sample, existing_dir, files_with, preview, subdirs

CLASSES = ("boxing", "handclapping", "handwaving", "jogging", "running", "walking")
PERSONS = range(1, 26)
STANDARD = {
    "train": (11, 12, 13, 14, 15, 16, 17, 18),
    "val": (1, 4, 19, 20, 21, 23, 24, 25),
    "test": (2, 3, 5, 6, 7, 8, 9, 10, 22),
}
DEFAULT_TEST_PERSONS = range(17, 26)
_CLIP = re.compile(rf"^person(\d{{2}})_({'|'.join(CLASSES)})_d([1-4])_uncomp\.avi$", re.IGNORECASE)


class KTH(ActionDataset):
    """KTH: 25 persons x 6 actions x 4 scenarios (d1-d4), 599 clips (one is missing).

    Layout: ``personXX_<action>_dY_uncomp.avi`` either in per-action folders
    (``root/boxing/...``) or all in ``root``. ``group`` is ``personXX``.

    Protocols: ``"standard"`` (Schuldt et al. 2004) persons 11-18 train, 1, 4, 19-21, 23-25
    validation, 2, 3, 5-10, 22 test (``subset`` "train", "val" or "test");
    ``"person_range"`` tests on ``test_persons`` (default 17-25) and trains on the other
    persons (``subset`` "train" or "test", no validation set).
    """

    name = "kth"

    def __init__(
        self, root: str | os.PathLike, subset: str = "train", protocol: str = "standard",
        test_persons: Iterable[int] | None = None,
    ) -> None:
        persons = _persons(subset, protocol, test_persons)
        root = existing_dir(root, "KTH")
        clips = files_with(root, (".avi",))
        for sub in subdirs(root):
            clips += files_with(root / sub, (".avi",))
        samples, bad = [], []
        for path in clips:
            match = _CLIP.match(path.name)
            if not match:
                bad.append(str(path.relative_to(root)))
            elif int(match.group(1)) in persons:
                samples.append(Sample(path, match.group(2).lower(), f"person{match.group(1)}", "video"))
        if not clips:
            raise DatasetLayoutError(
                f"KTH root {root} holds no personXX_<action>_dY_uncomp.avi clips (directly or in action "
                f"folders); found: {preview(sorted(os.listdir(root)))}"
            )
        if bad:
            raise DatasetLayoutError(
                f"KTH: {len(bad)} .avi file(s) not named personXX_<action>_dY_uncomp.avi, e.g. {preview(bad, 3)}"
            )
        super().__init__(CLASSES, samples)


def _persons(subset: str, protocol: str, test_persons: Iterable[int] | None) -> set[int]:
    """The person numbers of ``subset`` under ``protocol``."""
    if protocol == "standard":
        if test_persons is not None:
            raise DatasetLayoutError("KTH test_persons is only used with protocol='person_range'")
        if subset not in STANDARD:
            raise DatasetLayoutError(f"KTH subset must be 'train', 'val' or 'test', got {subset!r}")
        return set(STANDARD[subset])
    if protocol != "person_range":
        raise DatasetLayoutError(f"KTH protocol must be 'standard' or 'person_range', got {protocol!r}")
    if subset not in ("train", "test"):
        raise DatasetLayoutError(f"KTH subset must be 'train' or 'test' with protocol='person_range', got {subset!r}")
    test = set(DEFAULT_TEST_PERSONS if test_persons is None else test_persons)
    if not test or not test < set(PERSONS):
        raise DatasetLayoutError(
            f"KTH test_persons must be a non-empty proper subset of persons 1..25, got {preview(sorted(test))}"
        )
    return test if subset == "test" else set(PERSONS) - test
