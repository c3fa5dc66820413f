"""Kinder-Gator (Kinect v1, adults and children): ``{Adults,Children}/POSE-p<PID>_<NN>-<Motion>-<ms>.csv``.

Comma separated with a header row (``Timestamp``, then ``<Joint>X,<Joint>Y,<Joint>Z`` for the
20 Kinect v1 joints, ``User-ID``, ``Action``; every line ends with a comma). One row per frame
(about 30 fps); Timestamp in milliseconds from an arbitrary origin; metres in camera space.
The motion name is the file name's, hyphens read as spaces (one set of names has a trailing
hyphen, dropped); ``<NN>`` is the motion's place in that participant's session, not a class.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np

from ..errors import DatasetLayoutError
from ..layouts import KINECT_V1_JOINTS
from ..skeleton import SkeletonClip
from .base import ActionDataset, Sample, preview
from .skeleton_io import find_files, floats, read_bytes, subject_folds

KINDER_GATOR_MOTIONS: tuple[str, ...] = (
    "Bend your knee while raising your leg", "Bend your other knee while raising your leg", "Bow",
    "Climb and imaginary ladder", "Do a forward lunge", "Do two jumping jacks", "Draw a circle", "Draw a square",
    "Draw a triangle", "Draw the letter A", "Draw the letter C", "Draw the letter K", "Draw the letter M",
    "Draw the letter X", "Fly like a bird", "Fly like an airplane", "Jump", "Jump as high as you can", "Kick a ball",
    "Kick a ball as far as you can", "Kick a ball as far as you can with the other leg",
    "Kick a ball with the other leg", "Lift your leg to one side", "Lift your leg to the other side",
    "Make the letter A", "Make the letter C", "Make the letter K", "Make the letter M", "Make the letter P",
    "Make the letter T", "Make the letter X", "Make the letter Y", "Point at the camera", "Punch",
    "Push an imaginary button in front of you", "Put your hands on your hips and lean to the other side",
    "Put your hands on your hips and lean to the side", "Put your hands on your hips and twist",
    "Raise your arm to one side", "Raise your arm to the other side", "Raise your hand", "Raise your other hand",
    "Run in place", "Run in place as fast as you can", "Signal someone to come here", "Signal someone to stop",
    "Swim", "Swipe across an imaginary screen in front of you from left to right",
    "Swipe across an imaginary screen in front of you from right to left", "Throw a ball",
    "Throw a ball as far as you can", "Throw a ball as far as you can with the other arm",
    "Throw a ball with your other arm", "Touch your toes", "Walk in place", "Walk in place as fast as you can",
    "Wave your hand", "Wave your other hand",
)
KINDER_GATOR_FPS = 30.0
HEADER = ("Timestamp", *(f"{j}{axis}" for j in KINECT_V1_JOINTS for axis in "XYZ"), "User-ID", "Action")
_NAME = re.compile(r"^POSE-p(\d+)_(\d+)-(.+?)-(\d+)\.csv$", re.IGNORECASE)
_AGE_GROUP = {"adults": "adult", "children": "child"}


def parse_kinder_gator_name(path: Path) -> dict[str, str | int]:
    """{pid, order, motion, age_group ("adult"/"child"/""), subject} from the file name and folder."""
    match = _NAME.match(path.name)
    if not match:
        raise DatasetLayoutError(f"Kinder-Gator file name {path.name!r} does not follow POSE-p<PID>_<NN>-<Motion>-<ms>.csv")
    pid, order, motion, _ = match.groups()
    group = _AGE_GROUP.get(path.parent.name.lower(), "")
    return {"pid": int(pid), "order": int(order), "motion": motion.strip("-").replace("-", " "), "age_group": group,
            "subject": f"{group}_{int(pid)}" if group else f"p{int(pid)}"}


def read_kinder_gator_csv(path: str | os.PathLike) -> SkeletonClip:
    """One motion trial: joints (T, 20, 3) metres; label the motion name of the file name,
    subject ``adult_<PID>`` / ``child_<PID>`` (from the folder; ``p<PID>`` elsewhere).
    meta: ``timestamps_ms``, ``order``, ``age_group``, ``pid``."""
    path = Path(path)
    text = read_bytes(path, "Kinder-Gator csv").decode("utf-8-sig", errors="replace")
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise DatasetLayoutError(f"{path}: not valid CSV ({exc})") from None
    header = [c.strip() for c in rows[0]]
    if header and header[-1] == "":
        header = header[:-1]
    if tuple(header) != HEADER:
        raise DatasetLayoutError(f"{path}: header is not Timestamp, 20 joints x XYZ, User-ID, Action "
                                 f"({len(header)} fields, starting {preview(header, 3)})")
    if len(rows) < 2:
        raise DatasetLayoutError(f"{path}: no frames after the header")
    info = parse_kinder_gator_name(path)
    values = []
    for n, row in enumerate(rows[1:], 2):
        cells = row[:-1] if row and row[-1].strip() == "" else row
        if len(cells) != len(HEADER):
            raise DatasetLayoutError(f"{path} row {n}: expected {len(HEADER)} fields, got {len(cells)}")
        if cells[-2].strip() != str(info["pid"]):
            raise DatasetLayoutError(f"{path} row {n}: User-ID {cells[-2]!r} is not the file name's participant {info['pid']}")
        values.append(floats(cells[:-2], f"{path} row {n}"))
    array = np.asarray(values)
    return SkeletonClip(
        joints=array[:, 1:].reshape(-1, len(KINECT_V1_JOINTS), 3), joint_names=KINECT_V1_JOINTS, fps=KINDER_GATOR_FPS,
        label=str(info["motion"]), subject=str(info["subject"]), source=str(path),
        meta={"timestamps_ms": array[:, 0], "order": info["order"], "age_group": info["age_group"], "pid": info["pid"]},
    )


class KinderGator(ActionDataset):
    """Kinder-Gator: ``root/Adults/*.csv`` and ``root/Children/*.csv`` (searched recursively).

    Samples: kind ``kinder_gator_csv``, group ``adult_<PID>`` / ``child_<PID>``, label the
    motion name from the file name (58 motions). ``protocol``: ``"cross_subject"`` (``fold``
    1-5 of the sorted participants test) or ``"adults_to_children"`` (adults train, children
    test); ``train=None`` keeps everyone.
    """

    name = "kinder_gator"

    def __init__(self, root: str | os.PathLike, train: bool | None = True, protocol: str = "cross_subject",
                 fold: int = 1) -> None:
        if protocol not in ("cross_subject", "adults_to_children"):
            raise DatasetLayoutError("Kinder-Gator protocol must be 'cross_subject' or 'adults_to_children', "
                                     f"got {protocol!r}")
        found = []
        for path in find_files(root, re.compile(r"\.csv$", re.IGNORECASE), "Kinder-Gator"):
            info = parse_kinder_gator_name(path)
            found.append((Sample(path, str(info["motion"]), str(info["subject"]), "kinder_gator_csv"), info["age_group"]))
        if protocol == "adults_to_children":
            unknown = [str(s.source) for s, group in found if not group]
            if unknown:
                raise DatasetLayoutError(f"Kinder-Gator adults_to_children needs every file under Adults/ or Children/; "
                                         f"not: {preview(unknown, 3)}")
            chosen = [s for s, group in found if train is None or (group == "adult") == train]
        else:
            test = subject_folds((s.group for s, _ in found), fold)
            chosen = [s for s, _ in found if train is None or (s.group not in test) == train]
        super().__init__(KINDER_GATOR_MOTIONS, chosen)
