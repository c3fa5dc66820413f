"""Builders of fixture trees that mirror the real dataset layouts (see shared/data/README.md).

Videos are empty placeholder files unless a test needs a decodable one
(:func:`write_tiny_video`); split files are the real ones shipped with posehar.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from posehar.datasets.base import SHIPPED_SPLITS
from posehar.datasets.g3d import CATEGORIES
from posehar.datasets.kth import CLASSES as KTH_CLASSES
from posehar.datasets.ucf11 import CLASSES as UCF11_CLASSES
from posehar.layouts import KINECT_V1

UCF11_SHORT = dict(zip(UCF11_CLASSES, (
    "shooting", "biking", "diving", "golf", "riding", "juggle", "swing", "tennis", "jumping", "spiking", "walk_dog",
)))
KINECT_NAMES = tuple("".join(w.capitalize() for w in j.split("_")) for j in KINECT_V1.joints)


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def write_tiny_video(path: Path, frames: int = 4, size: int = 32) -> Path:
    """A real, decodable clip of ``frames`` grey-ramp frames (MJPG .avi or mp4v .mp4)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if path.suffix == ".mp4" else "MJPG"))
    writer = cv2.VideoWriter(str(path), fourcc, 10.0, (size, size))
    for i in range(frames):
        writer.write(np.full((size, size, 3), 40 * i % 256, dtype=np.uint8))
    writer.release()
    return path


def create_empty(paths: Iterable[Path]) -> None:
    """Create many empty files quickly (one mkdir per folder, raw open/close)."""
    paths = list(paths)
    for folder in {p.parent for p in paths}:
        folder.mkdir(parents=True, exist_ok=True)
    for p in paths:
        os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o644))


def make_ucf101(root: Path) -> Path:
    """``root/UCF-101/<Class>/<clip>.avi`` for every clip in the real lists + ``root/ucfTrainTestlist``."""
    lists = root / "ucfTrainTestlist"
    shutil.copytree(SHIPPED_SPLITS / "ucf101", lists)
    # trainlist01 and testlist01 together name all 13,320 clips.
    lines = (lists / "trainlist01.txt").read_text().split() + (lists / "testlist01.txt").read_text().split()
    create_empty(root / "UCF-101" / word for word in lines if word.endswith(".avi"))
    return root


def make_hmdb51(root: Path) -> Path:
    """``root/<action>/<video>.avi`` for every clip named in the real split-1 files."""
    clips = []
    for split_file in sorted((SHIPPED_SPLITS / "hmdb51").glob("*_test_split1.txt")):
        action = split_file.name.rsplit("_test_split", 1)[0]
        clips += [root / action / word for word in split_file.read_text().split() if word.endswith(".avi")]
    create_empty(clips)
    return root


def make_ucf11(root: Path, flat: bool = False, clips: int = 2, groups: int = 25) -> Path:
    """11 classes x ``groups`` groups x ``clips`` clips, in group folders or flattened, with annotations."""
    for label, short in UCF11_SHORT.items():
        for g in range(1, groups + 1):
            folder = root / label if flat else root / label / f"v_{short}_{g:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            for c in range(1, clips + 1):
                (folder / f"v_{short}_{g:02d}_{c:02d}.mpg").touch()
            (folder / f"v_{short}_{g:02d}_01.xgtf").touch()
        touch(root / label / "Annotation" / "notes.xgtf")
    return root


def make_kth(root: Path, per_action: bool = True, persons: Iterable[int] = range(1, 26)) -> Path:
    """``personXX_<action>_dY_uncomp.avi`` in per-action folders or flat (600 clips by default)."""
    for p in persons:
        for action in KTH_CLASSES:
            for d in range(1, 5):
                name = f"person{p:02d}_{action}_d{d}_uncomp.avi"
                touch(root / action / name if per_action else root / name)
    return root


def skeleton_xml(pose: np.ndarray | None, slots: int = 6, tracked_slot: int = 1) -> str:
    """A frame file in the real G3D shape: an ``ArrayOfSkeleton`` of tracking slots, the
    tracked one holding 20 ``Joint`` elements with ``Position/X,Y,Z`` and ``JointType``."""
    out = ['<?xml version="1.0"?>',
           '<ArrayOfSkeleton xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xmlns:xsd="http://www.w3.org/2001/XMLSchema">']
    for slot in range(slots):
        if pose is None or slot != tracked_slot:
            out.append("  <Skeleton><TrackingState>NotTracked</TrackingState>"
                       "<Position><X>0</X><Y>0</Y><Z>0</Z></Position></Skeleton>")
            continue
        out.append("  <Skeleton><TrackingState>Tracked</TrackingState>"
                   f"<Position><X>{pose[0, 0]}</X><Y>{pose[0, 1]}</Y><Z>{pose[0, 2]}</Z></Position><Joints>")
        for name, (x, y, z) in zip(KINECT_NAMES, pose):
            out.append(f"    <Joint><Position><X>{x!r}</X><Y>{y!r}</Y><Z>{z!r}</Z></Position>"
                       f"<JointType>{name}</JointType><TrackingState>Tracked</TrackingState>"
                       "<PositionToDepth><X>1</X><Y>2</Y><Depth>3</Depth><PlayerIndex>1</PlayerIndex></PositionToDepth>"
                       "<PositionToColor><X>4</X><Y>5</Y></PositionToColor></Joint>")
        out.append("  </Joints></Skeleton>")
    out.append("</ArrayOfSkeleton>")
    return "\n".join(out)


def fake_pose(frame: int) -> np.ndarray:
    """Distinct, exactly representable joint positions for frame ``frame``."""
    return (np.arange(60, dtype=np.float64).reshape(20, 3) / 8 + frame).astype(np.float32)


def make_g3d_sequence(folder: Path, frames: Iterable[int] = (1, 2, 10), untracked: Iterable[int] = ()) -> Path:
    """A G3D sequence folder: ``Colour/`` and ``Depth/`` PNGs, ``Skeleton/Skeleton <n>.xml``."""
    untracked = set(untracked)
    for n in frames:
        for stream in ("Colour", "Depth"):
            folder.joinpath(stream).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / stream / f"{stream} {n}.png"), np.zeros((8, 8, 3), dtype=np.uint8))
        xml = skeleton_xml(None if n in untracked else fake_pose(n))
        touch(folder / "Skeleton" / f"Skeleton {n}.xml").write_text(xml)
    return folder


def make_g3d(root: Path, actors: Iterable[int] = range(1, 11)) -> Path:
    """Sequences as distributed: ``root/<Category>/KinectOutput<n>/`` for ``actors`` (21 each, no 33)."""
    for actor in actors:
        first = 214 if actor == 10 else 22 + 21 * (actor - 1)
        for offset in range(21):
            if first + offset != 33:
                make_g3d_sequence(root / CATEGORIES[offset // 3] / f"KinectOutput{first + offset}", frames=(1,))
    return root
