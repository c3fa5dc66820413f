"""Output paths, checked before any work: one rule for every output option of every command.

:func:`check_outputs` is called by each CLI command before it reads a frame or trains a
model, so a bad output path costs nothing and never destroys an input. An output is refused
when its name has the wrong extension, when its folder cannot be written, when it is one of
the command's inputs (same resolved path or same inode, so symbolic and hard links count),
when it lies inside any model bundle, when it is a folder (for a file output), or, for a model
bundle output, when it is, contains or lies inside an input (folder) or already holds anything
other than a posehar model bundle.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .bundle_files import BUNDLE_FILES, BUNDLE_FORMAT, CONFIG
from .errors import PoseharError



class OutputPathError(PoseharError, ValueError):
    """An output path would overwrite an input or other data, or cannot be written."""


@dataclass(frozen=True)
class Output:
    """One output option: its value, its name on the command line, allowed suffixes, and kind."""

    path: str | os.PathLike | None
    option: str
    suffixes: tuple[str, ...] = ()
    bundle: bool = False  # a model bundle folder (replaced whole) rather than a file
    folder: bool = False  # a folder that is created and added to (a keypoint store)
    force: bool = False  # bundle: may replace an existing file or folder that is not a bundle (--force)


def is_bundle_dir(path: str | os.PathLike) -> bool:
    """True if ``path`` is a folder holding only posehar model bundle files, with a posehar config."""
    p = Path(path)
    if not p.is_dir() or p.is_symlink():
        return False
    names = {q.name for q in p.iterdir()}
    if not names <= BUNDLE_FILES or CONFIG not in names:
        return False
    try:
        config = json.loads((p / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("format") == BUNDLE_FORMAT


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _inside(child: Path, parent: Path) -> bool:
    try:
        return child.resolve().is_relative_to(parent.resolve())
    except (OSError, ValueError):
        return False


def _writable_parent(p: Path) -> Path | None:
    """The nearest existing ancestor of ``p`` if it is a writable folder, else None."""
    parent = p.resolve().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return None
    try:  # also catches read-only file systems and pseudo file systems, whoever we run as
        fd, probe = tempfile.mkstemp(prefix=".posehar-probe-", dir=parent)
    except OSError:
        return None
    os.close(fd)
    os.unlink(probe)
    return parent


def check_output(out: Output, inputs: Iterable[str | os.PathLike | None] = ()) -> Path | None:
    """Raise OutputPathError if ``out`` cannot or must not be written; return it as a Path."""
    if out.path is None or str(out.path) == "":
        return None
    p = Path(out.path)
    opt = f"{out.option} {p}"
    if out.suffixes and p.suffix.lower() not in out.suffixes:
        raise OutputPathError(f"{opt}: the name must end in {' or '.join(out.suffixes)}")
    for given in inputs:
        if given is None or str(given) == "" or not Path(given).exists():
            continue
        i = Path(given)
        if _same(p, i):
            raise OutputPathError(f"{opt} is the input {i}; refusing to overwrite it (choose another output path)")
        if (out.bundle or out.folder) and _inside(i, p):
            raise OutputPathError(f"{opt} contains the input {i}; refusing to write there (choose another output path)")
        if out.bundle and i.is_dir() and _inside(p, i):
            raise OutputPathError(f"{opt} is inside the input folder {i}, where it would be read as data (a folder "
                                  "of clips reads it as a class); choose an output path outside it")
    holder = next((q for q in p.resolve().parents if is_bundle_dir(q)), None)
    if holder is not None:
        role = "input " if any(given and _same(holder, Path(given)) for given in inputs) else ""
        raise OutputPathError(f"{opt} is inside the {role}model bundle {holder}; refusing to change it")
    if p.is_symlink() and not p.exists():
        raise OutputPathError(f"{opt} is a broken symbolic link; remove it or choose another output path")
    if out.bundle and out.force and (p.exists() or p.is_symlink()):
        _check_forced(p, opt)
    elif out.bundle:
        if p.exists() and not p.is_dir():
            raise OutputPathError(f"{opt} exists and is not a model bundle folder; refusing to replace it "
                                  "(remove it, choose another output folder, or --force to replace it)")
        if p.is_dir() and not is_bundle_dir(p):
            raise OutputPathError(f"{opt} is a folder that is not a posehar model bundle; posehar replaces only "
                                  "an existing bundle (choose a new folder name, or --force to replace it)")
    elif out.folder:
        if p.exists() and not p.is_dir():
            raise OutputPathError(f"{opt} exists and is not a folder")
    elif p.is_dir():
        raise OutputPathError(f"{opt} is a folder; give a file name")
    elif p.exists() and not os.path.isfile(p):
        raise OutputPathError(f"{opt} is not a regular file (a device, FIFO or socket); give a file name")
    if _writable_parent(p) is None:
        raise OutputPathError(f"cannot write {opt}: its folder is not a writable folder")
    if p.exists() and not (out.bundle or out.folder) and not os.access(p, os.W_OK):
        raise OutputPathError(f"cannot write {opt}: the file exists and is read-only")
    return p


def _check_forced(p: Path, opt: str) -> None:
    """What --force still never replaces: the current folder or one above it, your home, the root."""
    target = p.resolve()
    cwd = Path.cwd().resolve()
    if target == Path(target.anchor) or target == Path.home().resolve() or cwd.is_relative_to(target):
        what = ("the current folder or one above it" if cwd.is_relative_to(target)
                else "your home folder" if target == Path.home().resolve() else "the root folder")
        raise OutputPathError(f"{opt} is {what}; refusing to replace it, even with --force")


def check_outputs(outputs: Iterable[Output], inputs: Iterable[str | os.PathLike | None] = ()) -> None:
    """Check every output of one command against the rules above and against each other."""
    inputs = list(inputs)
    seen: list[Output] = []
    for out in outputs:
        p = check_output(out, inputs)
        if p is None:
            continue
        for other in seen:
            if _same(p, Path(other.path)):
                raise OutputPathError(f"{out.option} and {other.option} are the same file {p}; give each its own")
        seen.append(out)


def json_safe(value):
    """``value`` with every NaN or infinite float replaced by None, so that it dumps as valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy scalars
        return json_safe(value.item())
    return value
