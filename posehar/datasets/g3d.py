"""G3D gaming actions (Kinect v1): sequence folders, pre-cut action folders, skeleton XML.

Skeleton files: one ``Skeleton <n>.xml`` per frame, the Kinect SDK's skeleton array
serialised by .NET::

    <ArrayOfSkeleton>
      <Skeleton>                       (one per tracking slot; untracked ones have no joints)
        <TrackingState>Tracked</TrackingState> ...
        <Joints>
          <Joint>
            <Position><X>0.1</X><Y>0.2</Y><Z>2.3</Z></Position>
            <JointType>HipCenter</JointType> ...

The converted ``json_frames`` form (``<actor 1-10>/<Action>/<segment id>.json``, a JSON list of
frames, each a list of 20 joints ``{"x": "..", "y": "..", "z": ".."}`` with the XML's numbers
copied as strings, Kinect order) is read by :func:`read_g3d_json_frames`.

The XML reader also accepts attribute forms (``<Joint name="HipCenter" x=".." y=".." z=".."/>``,
``<Position X=".." .../>``) and a bare ``<Skeleton>`` root. The first tracked skeleton with
joints is used. Joints are placed by their ``JointType``/``name`` when every joint has one,
else taken in document order (the Kinect order). DOCTYPE and ENTITY declarations are refused,
so no entity expansion can happen.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Iterable
from xml.etree import ElementTree as ET
from xml.parsers import expat

import numpy as np

from ..errors import DatasetLayoutError
from ..layouts import KINECT_V1, KINECT_V1_JOINTS
from ..sequence import KeypointSequence
from ..skeleton import SkeletonClip
from .base import IMAGE_EXTENSIONS, ActionDataset, Sample, existing_dir, preview, subdirs
from .skeleton_io import floats, read_bytes

ACTIONS = (
    "punch_right", "punch_left", "kick_right", "kick_left", "defend", "golf_swing",
    "tennis_swing_forehand", "tennis_swing_backhand", "tennis_serve", "throw_bowling_ball",
    "aim_and_fire_gun", "walk", "run", "jump", "climb", "crouch", "steer_a_car", "wave", "flap", "clap",
)
CATEGORIES = ("Fighting", "Golf", "Tennis", "Bowling", "FPS", "Driving", "Misc")
ACTORS = range(1, 11)
MODALITIES = ("auto", "skeleton", "colour")

G3D_FPS = 30.0
G3D_FRAME_SIZE = (640, 480)
_FRAME = re.compile(r"(\d+)\.xml$", re.IGNORECASE)
_SEQUENCE = re.compile(r"^KinectOutput(\d+)$", re.IGNORECASE)
_SEQUENCE_IN_NAME = re.compile(r"KinectOutput[ _-]?(\d+)", re.IGNORECASE)
_ACTOR_IN_NAME = re.compile(r"(?:actor|subject|person)[ _-]?0*(\d+)", re.IGNORECASE)
_JOINT_INDEX = {name.replace("_", ""): i for i, name in enumerate(KINECT_V1.joints)}


def _refuse(*_: object) -> None:
    raise DatasetLayoutError("XML with DOCTYPE or ENTITY declarations is refused (entity expansion)")


def safe_parse_xml(data: bytes, where: str) -> ET.Element:
    """Parse ``data`` with expat into an ElementTree, refusing DTDs and entities."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        return builder.close()
    except DatasetLayoutError as exc:
        raise DatasetLayoutError(f"{where}: {exc}") from None
    except (expat.ExpatError, ValueError, LookupError, UnicodeError) as exc:
        raise DatasetLayoutError(f"{where} is not well-formed XML ({exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _field(el: ET.Element, name: str) -> str | None:
    """Attribute ``name`` or text of child ``<name>`` (case-insensitive, namespaces ignored)."""
    for key, value in el.attrib.items():
        if _local(key) == name:
            return value
    for child in el:
        if _local(child.tag) == name:
            return child.text or ""
    return None


def _number(text: str, where: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise DatasetLayoutError(f"{where}: joint coordinate {text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise DatasetLayoutError(f"{where}: joint coordinate {text[:40]!r} is not finite")
    return value


def _joint_xyz(joint: ET.Element, where: str) -> list[float]:
    holders = [joint] + [c for c in joint if _local(c.tag) == "position"]
    for holder in holders:
        values = [_field(holder, axis) for axis in "xyz"]
        if all(v is not None for v in values):
            return [_number(v, where) for v in values]
    raise DatasetLayoutError(f"{where}: a Joint has no x, y, z (as attributes or in <Position>)")


def _joint_order(joints: list[ET.Element], where: str) -> list[int]:
    names = [_field(j, "jointtype") or _field(j, "name") for j in joints]
    if not all(names):
        return list(range(len(joints)))
    order = [_JOINT_INDEX.get(re.sub(r"[^a-z]", "", n.lower()), -1) for n in names]
    if sorted(order) != list(range(len(joints))):
        raise DatasetLayoutError(f"{where}: joint names {sorted(set(names))[:5]} are not the 20 Kinect v1 joints")
    return order


def parse_skeleton_xml(data: bytes, where: str = "skeleton XML") -> np.ndarray | None:
    """(20, 3) joint positions in metres (Kinect camera space), or None if nobody is tracked."""
    root = safe_parse_xml(data, where)
    candidates = [e for e in root.iter() if _local(e.tag) == "skeleton"] or [root]
    for skeleton in candidates:
        state = _field(skeleton, "trackingstate")
        joints = [e for e in skeleton.iter() if _local(e.tag) == "joint"]
        if not joints or (state is not None and state.strip().lower() not in ("tracked", "2")):
            continue
        if len(joints) != KINECT_V1.num_joints:
            raise DatasetLayoutError(f"{where}: expected {KINECT_V1.num_joints} Kinect v1 joints, found {len(joints)}")
        pose = np.zeros((KINECT_V1.num_joints, 3), dtype=np.float32)
        for slot, joint in zip(_joint_order(joints, where), joints):
            pose[slot] = _joint_xyz(joint, where)
        return pose
    return None


def skeleton_files(folder: Path) -> list[tuple[int, Path]]:
    """(frame number, path) of every ``Skeleton <n>.xml`` in ``folder``, by frame number."""
    frames = []
    for name in os.listdir(folder):
        match = _FRAME.search(name)
        if match and not name.startswith("."):
            frames.append((int(match.group(1)), folder / name))
    return sorted(frames)


def read_g3d_skeleton_folder(folder: str | os.PathLike) -> KeypointSequence:
    """A G3D ``Skeleton/`` folder (or the sequence folder holding it) as a ``kinect_v1`` sequence.

    pose is (T, 20, 3), frames sorted by ``n``; frames with no tracked skeleton are zeros
    with ``pose_present`` False.
    """
    folder = Path(folder)
    if (folder / "Skeleton").is_dir():
        folder = folder / "Skeleton"
    if not folder.is_dir():
        raise DatasetLayoutError(f"G3D skeleton folder {folder} does not exist")
    frames = skeleton_files(folder)
    if not frames:
        raise DatasetLayoutError(f"G3D skeleton folder {folder} holds no 'Skeleton <n>.xml' files")
    pose = np.zeros((len(frames), KINECT_V1.num_joints, 3), dtype=np.float32)
    present = np.zeros(len(frames), dtype=bool)
    for row, (_, path) in enumerate(frames):
        joints = parse_skeleton_xml(path.read_bytes(), str(path))
        if joints is not None:
            pose[row], present[row] = joints, True
    return KeypointSequence(
        pose=pose, pose_present=present, frame_indices=np.array([n for n, _ in frames]),
        fps=G3D_FPS, frame_size=G3D_FRAME_SIZE, source=str(folder), layout=KINECT_V1.name,
    )


def read_g3d_json_frames(path: str | os.PathLike) -> SkeletonClip:
    """A ``json_frames`` segment (``<actor>/<Action>/<id>.json``) as a clip: joints (T, 20, 3) metres,
    Kinect v1 names, 30 fps; label the action folder name (e.g. ``PunchRight``), subject
    ``actorNN`` from the actor folder. The converter concatenates every tracked slot, so a frame
    of 40 joints holds two people: the first 20 (the first tracked slot, as the XML reader
    takes) are kept and meta ``people`` says how many there were. An empty segment (``[]``,
    which the converter writes for some) is an error.
    """
    path = Path(path)
    try:
        frames = json.loads(read_bytes(path, "G3D json_frames"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetLayoutError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(frames, list) or not frames:
        raise DatasetLayoutError(f"{path}: expected a non-empty JSON list of frames, got "
                                 f"{'an empty list' if frames == [] else type(frames).__name__}")
    n = KINECT_V1.num_joints
    pose = np.zeros((len(frames), n, 3), dtype=np.float32)
    people = 1
    for f, frame in enumerate(frames):
        if not isinstance(frame, list) or not frame or len(frame) % n:
            count = len(frame) if isinstance(frame, list) else type(frame).__name__
            raise DatasetLayoutError(f"{path} frame {f}: expected 20 joints per person, got {count}")
        people = max(people, len(frame) // n)
        for j, joint in enumerate(frame[:n]):
            if not isinstance(joint, dict) or not all(k in joint for k in "xyz"):
                raise DatasetLayoutError(f"{path} frame {f} joint {j}: expected {{x, y, z}}, got {str(joint)[:40]}")
            pose[f, j] = floats([str(joint[k]) for k in "xyz"], f"{path} frame {f} joint {j}")
    actor = path.parent.parent.name
    subject = f"actor{int(actor):02d}" if actor.isdigit() else ""
    return SkeletonClip(joints=pose, joint_names=KINECT_V1_JOINTS, fps=G3D_FPS, label=path.parent.name,
                        subject=subject, source=str(path), meta={"segment": path.stem, "people": people})


def sequence_info(number: int) -> tuple[int, str, int]:
    """(actor, category, repetition) of G3D sequence ``number``: actors 1-9 recorded
    sequences 22-210, 21 each (7 categories x 3), actor 10 sequences 214-234."""
    if 22 <= number <= 210:
        actor, offset = (number - 22) // 21 + 1, (number - 22) % 21
    elif 214 <= number <= 234:
        actor, offset = 10, number - 214
    else:
        raise DatasetLayoutError(f"G3D sequence numbers are 22-210 and 214-234, got KinectOutput{number}")
    return actor, CATEGORIES[offset // 3], offset % 3 + 1


class G3D(ActionDataset):
    """G3D: 10 actors x 7 sequence categories x 3 repetitions, 20 gaming actions, Kinect v1.

    Three layouts are recognised:

    * Sequences as distributed: ``root/<Category>/KinectOutput<n>/`` (or
      ``root/KinectOutput<n>/``) with ``Colour/``, ``Depth/`` and ``Skeleton/``. A sequence
      holds several actions, so samples are whole sequences labelled by their category
      (``CATEGORIES``); actor and category come from ``n`` (see :func:`sequence_info`).
    * Pre-cut copies: ``root/<action>/<sample>/`` with the 20 ``ACTIONS`` (folder names
      matched ignoring case, spaces and underscores), each sample a frame folder, a skeleton
      folder, or a folder with ``Colour/``/``Skeleton/``. The sample folder name must say the
      actor (``actor3``, ``subject03``, ``person3``) or its sequence (``KinectOutput64``).
    * Converted ``json_frames``: ``root/<actor 1-10>/<Action>/<segment id>.json``, one sample
      (kind ``g3d_json``, read with :func:`read_g3d_json_frames`) per file, labelled by its
      action folder's own name; ``modality`` does not apply.

    ``modality``: "skeleton" (kind "kinect_skeleton", read with
    :func:`read_g3d_skeleton_folder`), "colour" (kind "frames") or "auto" (skeleton when
    every sample has one, else colour frames). Protocol: cross-actor, by default actors 1-5
    train and 6-10 test (``train_actors``/``test_actors``); ``train=None`` keeps both. ``group`` is ``actorNN``.
    """

    name = "g3d"

    def __init__(
        self, root: str | os.PathLike, train: bool | None = True, train_actors: Iterable[int] = range(1, 6),
        test_actors: Iterable[int] = range(6, 11), modality: str = "auto",
    ) -> None:
        if modality not in MODALITIES:
            raise DatasetLayoutError(f"G3D modality must be one of {', '.join(MODALITIES)}, got {modality!r}")
        sides = _check_actors(set(train_actors), set(test_actors))
        actors = sides[0] | sides[1] if train is None else sides[0 if train else 1]
        root = existing_dir(root, "G3D")
        folders = subdirs(root)
        if folders == ["json_frames"]:  # the converted form's own folder name, as it is distributed
            root, folders = root / "json_frames", subdirs(root / "json_frames")
        by_name = {_squash(a): a for a in ACTIONS}
        if folders and all(f.isdigit() for f in folders):
            samples = _json_frames(root, folders, actors)
            super().__init__(sorted({s.label for s in samples}), samples)
            return
        if any(_squash(f) in by_name for f in folders):
            classes, found = ACTIONS, _precut(root, folders, by_name)
        else:
            classes, found = CATEGORIES, _sequences(root, folders)
        kind = _choose_kind(found, modality)
        super().__init__(classes, [
            Sample(sources[kind], label, f"actor{actor:02d}", kind)
            for label, actor, _, sources in found if actor in actors
        ])


Found = list[tuple[str, int, Path, dict[str, Path]]]  # label, actor, sample folder, {kind: source}


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _check_actors(train: set[int], test: set[int]) -> tuple[set[int], set[int]]:
    if not train or not test or not train | test <= set(ACTORS) or train & test:
        raise DatasetLayoutError(
            f"G3D train_actors and test_actors must be disjoint, non-empty sets of actors 1-10; "
            f"got {preview(sorted(train))} and {preview(sorted(test))}"
        )
    return train, test


def _sources(folder: Path) -> dict[str, Path]:
    """Where a sample's skeleton files and colour frames are: {kind: folder}."""
    found = {kind: folder / sub for kind, sub in (("kinect_skeleton", "Skeleton"), ("frames", "Colour"))
             if (folder / sub).is_dir()}
    if not found:
        with os.scandir(folder) as entries:
            suffixes = {Path(e.name).suffix.lower() for e in entries if e.is_file()}
        if ".xml" in suffixes:
            found["kinect_skeleton"] = folder
        if suffixes & set(IMAGE_EXTENSIONS):
            found["frames"] = folder
    return found


def _sequences(root: Path, folders: list[str]) -> Found:
    paths = [root / f for f in folders if _SEQUENCE.match(f)]
    paths += [root / f / s for f in folders if not _SEQUENCE.match(f) for s in subdirs(root / f) if _SEQUENCE.match(s)]
    if not paths:
        raise DatasetLayoutError(
            f"G3D root {root} has neither action folders like punch_right/, sequence folders like "
            f"Fighting/KinectOutput22/ nor actor folders 1-10 of json_frames; found: {preview(folders)}"
        )
    found = []
    for path in sorted(paths, key=lambda p: int(_SEQUENCE.match(p.name).group(1))):
        actor, category, _ = sequence_info(int(_SEQUENCE.match(path.name).group(1)))
        found.append((category, actor, path, _sources(path)))
    return found


def _json_frames(root: Path, folders: list[str], actors: set[int]) -> list[Sample]:
    """Samples of the ``json_frames`` layout ``root/<actor>/<Action>/<id>.json`` (kind ``g3d_json``)."""
    samples = []
    for folder in folders:
        if int(folder) not in ACTORS:
            raise DatasetLayoutError(f"G3D json_frames: actor folder {root / folder} is not one of 1-10")
        for action in subdirs(root / folder):
            files = sorted((root / folder / action).glob("*.json"), key=lambda p: (len(p.stem), p.stem))
            if int(folder) in actors:
                samples += [Sample(p, action, f"actor{int(folder):02d}", "g3d_json") for p in files
                            if not p.name.startswith(".")]
    return samples


def _precut(root: Path, folders: list[str], by_name: dict[str, str]) -> Found:
    unknown = [f for f in folders if _squash(f) not in by_name]
    if unknown:
        raise DatasetLayoutError(
            f"G3D root {root} mixes action folders with others: {preview(unknown)}; the actions are "
            f"{preview(ACTIONS, 20)}"
        )
    found, anonymous = [], []
    for folder in folders:
        for sample in subdirs(root / folder):
            by_sequence, by_actor = _SEQUENCE_IN_NAME.search(sample), _ACTOR_IN_NAME.search(sample)
            if by_sequence:
                actor = sequence_info(int(by_sequence.group(1)))[0]
            elif by_actor and int(by_actor.group(1)) in ACTORS:
                actor = int(by_actor.group(1))
            else:
                anonymous.append(f"{folder}/{sample}")
                continue
            path = root / folder / sample
            found.append((by_name[_squash(folder)], actor, path, _sources(path)))
    if anonymous:
        raise DatasetLayoutError(
            f"G3D: {len(anonymous)} sample folder(s) do not name their actor (actor<N>, subject<N>, "
            f"person<N> or KinectOutput<seq>), e.g. {preview(anonymous, 3)}"
        )
    if not found:
        raise DatasetLayoutError(f"G3D action folders under {root} hold no sample folders")
    return found


def _choose_kind(found: Found, modality: str) -> str:
    """The sample kind every sample has: the one asked for, or skeleton before frames."""
    kinds = {"skeleton": ("kinect_skeleton",), "colour": ("frames",), "auto": ("kinect_skeleton", "frames")}
    for kind in kinds[modality]:
        lacking = [str(folder) for _, _, folder, sources in found if kind not in sources]
        if not lacking:
            return kind
    what = {"skeleton": "Skeleton/ XML files", "colour": "Colour/ frames"}.get(modality, "data of one kind")
    raise DatasetLayoutError(
        f"G3D: {len(lacking)} of {len(found)} samples have no {what} (expected Skeleton/ or Colour/ "
        f"folders, or a folder of 'Skeleton <n>.xml' files or images), e.g. {preview(lacking, 3)}"
    )
