"""MSRC-12 Kinect gestures: ``P<a>_<b>_<gesture>[A]_p<person>.csv`` + ``.tagstream``.

``.csv``: space separated, one row per frame (30 fps): time in microseconds, then 20 Kinect v1
joints x (x, y, z, w) in metres; rows with no skeleton are all zeros (w is dropped here).
``.tagstream``: header ``XQPCTick;Tag``, then ``tick;tag`` per action point (the moment the
gesture should fire); usec = (tick * 1000 + 49875 / 2) / 49875, mapped to the frame with the
nearest time stamp (the official ``load_tagstream.m`` / ``tagstream_to_y.m``).

Clips are windows around action points cut as the shared ``msrc12.npz``: after dropping the
leading run of all-zero frames (as the official ``load_file.m`` does), action point p_k gets
frames [max(mid(p_k-1, p_k), p_k - 45), min(mid(p_k, p_k+1), p_k + 45)] (the first one from
p_k - 45; a frame at or past a midpoint belongs to the later point), then every ``step``-th
frame (the npz uses 2: 15 fps). On the sample files this reproduces 19 of the npz's 20 windows
exactly; the last window of P3_1_12_p01 is 3 frames longer here (the npz stops it at p + 40).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import DatasetLayoutError
from ..layouts import KINECT_V1_JOINTS
from ..skeleton import SkeletonClip
from .base import ActionDataset, Sample, preview
from .skeleton_io import find_files, floats, read_lines, subject_folds

MSRC12_GESTURES: tuple[str, ...] = (
    "G1 lift outstretched arms (start music/raise volume)", "G2 duck (crouch or hide)",
    "G3 push right (navigate to next menu)", "G4 goggles (put on night vision goggles)",
    "G5 wind it up (wind up the music)", "G6 shoot (shoot a pistol)", "G7 bow (take a bow to end music session)",
    "G8 throw (throw an object)", "G9 had enough (protest the music)", "G10 change weapon",
    "G11 beat both (move up the tempo of the song)", "G12 kick",
)
MSRC12_FPS = 30.0
HALF_WINDOW = 45
_NAME = re.compile(r"^P(\d)_(\d)_(\d+)(A?)_p(\d+)$", re.IGNORECASE)
_TAG = re.compile(r"^G(\d+)\b")


def parse_msrc12_name(stem: str) -> dict[str, str | int]:
    """{instructions ``P<a>_<b>[A]``, gesture 1-12, person ``pNN``} from a file stem."""
    match = _NAME.match(stem)
    if not match:
        raise DatasetLayoutError(f"MSRC-12 file name {stem!r} does not follow P<a>_<b>_<gesture>[A]_p<person>")
    a, b, gesture, combined, person = match.groups()
    if not 1 <= int(gesture) <= 12:
        raise DatasetLayoutError(f"MSRC-12 file name {stem!r}: gesture {gesture} is not 1-12")
    return {"instructions": f"P{a}_{b}{combined.upper()}", "gesture": int(gesture), "person": f"p{int(person):02d}"}


def read_msrc12_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(time stamps in µs (N,), joints (N, 20, 3)) of every row, all-zero rows included."""
    path = Path(path)
    rows = read_lines(path, "MSRC-12 .csv")
    width = 1 + 4 * len(KINECT_V1_JOINTS)
    values = []
    for n, row in enumerate(rows, 1):
        fields = row.split()
        if len(fields) != width:
            raise DatasetLayoutError(f"{path} row {n}: expected {width} values (time + 20 joints x 4), got {len(fields)}")
        values.append(floats(fields, f"{path} row {n}"))
    array = np.asarray(values)
    return array[:, 0], array[:, 1:].reshape(-1, len(KINECT_V1_JOINTS), 4)[:, :, :3].astype(np.float32)


def read_tagstream(path: str | os.PathLike) -> list[tuple[float, str]]:
    """(time in µs, tag) of every action point of a ``.tagstream`` file, in file order."""
    path = Path(path)
    rows = read_lines(path, "MSRC-12 .tagstream")
    if rows[0].replace(" ", "").lower() != "xqpctick;tag":
        raise DatasetLayoutError(f"{path}: the first line must be 'XQPCTick;Tag', got {rows[0][:40]!r}")
    points = []
    for n, row in enumerate(rows[1:], 2):
        tick, sep, tag = row.partition(";")
        if not sep or not tick.strip().isdigit() or not _TAG.match(tag.strip()):
            raise DatasetLayoutError(f"{path} line {n}: expected '<tick>;G<n> <name>', got {row[:60]!r}")
        points.append(((int(tick) * 1000 + 49875 / 2) / 49875, " ".join(tag.split())))
    return points


def tagstream_for(csv_path: Path) -> Path:
    """The ``.tagstream`` beside a ``.csv`` (name matched ignoring case, as one file in the set differs)."""
    exact = csv_path.with_suffix(".tagstream")
    if exact.is_file():
        return exact
    for other in csv_path.parent.iterdir():
        if other.suffix.lower() == ".tagstream" and other.stem.lower() == csv_path.stem.lower():
            return other
    raise DatasetLayoutError(f"{csv_path}: no {exact.name} beside it")


def windows(points: list[int], frames: int, half: int = HALF_WINDOW) -> list[tuple[int, int]]:
    """[start, stop) frame ranges around each action-point frame (see the module docstring).

    A frame exactly half-way between two action points goes to the later one, so windows
    never overlap.
    """
    out = []
    for k, p in enumerate(points):
        start = p - half if k == 0 else max(-(-(points[k - 1] + p) // 2), p - half)
        stop = min(-(-(p + points[k + 1]) // 2), p + half + 1) if k + 1 < len(points) else p + half + 1
        out.append((max(start, 0), min(stop, frames)))
    return out


def read_msrc12(csv_path: str | os.PathLike, tagstream: str | os.PathLike | None = None, step: int = 2,
                half_window: int = HALF_WINDOW) -> list[SkeletonClip]:
    """One clip per action point of a recording (joints (T, 20, 3) metres, fps 30 / ``step``).

    label: the gesture (:data:`MSRC12_GESTURES`, from the tagstream's G number), subject
    ``pNN``. meta: ``ap_index`` (frame of the action point in the recording, leading zero rows
    dropped), ``ap_offset`` (its index inside the clip, rounded down to a kept frame),
    ``instructions``, ``take``. A recording with no tracked skeleton (``P1_1_12A_p19.csv`` of
    the samples: all 1,029 rows zero) gives no clips; action points outside the tracked part
    are skipped.
    """
    csv_path = Path(csv_path)
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise DatasetLayoutError(f"MSRC-12 step must be a positive whole number, got {step!r}")
    info = parse_msrc12_name(csv_path.stem)
    times, joints = read_msrc12_csv(csv_path)
    points = read_tagstream(tagstream if tagstream is not None else tagstream_for(csv_path))
    tracked = np.abs(joints).reshape(len(joints), -1).sum(axis=1) > 0
    if not tracked.any():
        return []
    first = int(np.argmax(tracked))
    times, joints = times[first:], joints[first:]
    # action points before the first tracked frame have nothing to cut
    kept = [(k, t, tag) for k, (t, tag) in enumerate(points) if t >= times[0] - 0.5e6 / MSRC12_FPS]
    frames = [int(np.argmin(np.abs(times - t))) for _, t, _ in kept]
    clips = []
    for (start, stop), frame, (k, _, tag) in zip(windows(frames, len(joints), half_window), frames, kept):
        label = _gesture(tag, csv_path)
        offset = frame - start
        clips.append(SkeletonClip(
            joints=joints[start:stop:step], joint_names=KINECT_V1_JOINTS, fps=MSRC12_FPS / step, label=label,
            subject=str(info["person"]), source=str(csv_path),
            meta={"ap_index": frame, "ap_offset": offset // step, "action_point": k,
                  "instructions": info["instructions"], "take": f"{csv_path.stem}_ap{k:02d}",
                  "timestamps_us": times[start:stop:step]},
        ))
    return clips


def _gesture(tag: str, where: Path) -> str:
    number = int(_TAG.match(tag).group(1))
    if not 1 <= number <= 12:
        raise DatasetLayoutError(f"{where}: action point tag {tag!r} is not one of G1-G12")
    return MSRC12_GESTURES[number - 1]


def read_msrc12_window(csv_path: str | os.PathLike, action_point: int, step: int = 2) -> SkeletonClip:
    """The clip of action point ``action_point`` (0-based, tagstream order) of a recording."""
    for clip in read_msrc12(csv_path, step=step):
        if clip.meta["action_point"] == action_point:
            return clip
    raise DatasetLayoutError(f"{csv_path}: action point {action_point} has no tracked skeleton frames "
                             f"(the recording is all zeros there)")


_NON_ZERO = re.compile(rb"[ \t]-?0*(?:[1-9]|\.0*[1-9])")


def _has_skeleton(path: Path) -> bool:
    """Whether any joint value of a recording is non-zero (a byte scan, no parsing)."""
    return _NON_ZERO.search(path.read_bytes()) is not None


class MSRC12(ActionDataset):
    """MSRC-12: a folder (searched recursively) of ``P<a>_<b>_<g>[A]_p<person>.csv`` + ``.tagstream``.

    One sample per action point (kind ``msrc12_window``, ``index`` = action point in tagstream
    order), label = the gesture of the file name, group = person ``pNN``. Indexing reads only
    the tagstreams. Protocol: cross-subject, ``fold`` 1-5 of the sorted people (every 5th
    person tests); ``train=None`` keeps everyone. A recording whose skeleton was never tracked
    (every joint value zero, as ``P1_1_12A_p19.csv``) gives no samples; its path is listed in
    ``untracked``.
    """

    name = "msrc12"

    def __init__(self, root: str | os.PathLike, train: bool | None = True, fold: int = 1) -> None:
        files = find_files(root, re.compile(r"\.csv$", re.IGNORECASE), "MSRC-12")
        found, self.untracked = [], []
        for path in files:
            info = parse_msrc12_name(path.stem)
            if not _has_skeleton(path):
                self.untracked.append(path)
                continue
            points = read_tagstream(tagstream_for(path))
            tags = {_gesture(tag, path) for _, tag in points}
            label = MSRC12_GESTURES[int(info["gesture"]) - 1]
            if tags - {label}:
                raise DatasetLayoutError(f"{path}: the tagstream names {preview(sorted(tags))}, the file name {label!r}")
            found += [Sample(path, label, str(info["person"]), "msrc12_window", k) for k in range(len(points))]
        test = subject_folds((s.group for s in found), fold)
        super().__init__(MSRC12_GESTURES, [s for s in found if train is None or (s.group not in test) == train])
