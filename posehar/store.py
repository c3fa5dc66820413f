"""KeypointStore: extracted keypoint sequences on disk, keyed by input content and pose settings.

Layout of a store folder::

    store.json                 format name and version
    hash_index.json            (abs path, size, mtime_ns) -> content hash, so reruns do not rehash
    seq/<key[:2]>/<key>.npz    one KeypointSequence per key (KeypointSequence.save)
    records/<key>.json         status ok|failed, reason, sample, frames, seconds, settings, version
    locks/<key>.lock           present only while a process works on that key

The key is the sha256 of the input's content hash, the sample kind (and index), the
canonical JSON of the settings that change the output, and the store format version.
The same video under another name gets the same key; other settings get another key.

Concurrency: every file is written to a temp file, fsynced and renamed into place, and the
record is written last, so a key is done only once its sequence is complete. A per-key lock
(``fcntl.flock`` on ``locks/<key>.lock``) makes sure one process at a time works on a key.
flock was chosen over O_EXCL lock files because the kernel drops it when its holder dies,
even by SIGKILL, so there is no stale-lock takeover to get wrong. On NFS, Linux maps flock
to POSIX byte-range locks (NFSv4, or NFSv3 with lockd). Temp files are only written under
the lock of what they belong to, so a later run deletes leftovers (from a killed process)
after taking that lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import time
import zipfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from ._version import __version__
from .errors import NPZ_READ_ERRORS, StoreError
from .pose import PoseSettings
from .sequence import KeypointSequence, write_atomically

if TYPE_CHECKING:
    from .datasets import Sample

STORE_FORMAT = "posehar-keypoint-store"
STORE_VERSION = 1
STORE_META = "store.json"  # the file that makes a folder a keypoint store: its format and version
_INDEX_LOCK = "hash_index"
_CHUNK = 1 << 20


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def key_settings(kind: str, settings: PoseSettings, frames_fps: float = 30.0) -> dict:
    """The settings that change the output for a sample of ``kind`` (part of its key).

    Kinect skeletons do not go through MediaPipe: only stride and max_frames apply. A strided
    one's key also says that its frame rate is divided by the stride: stores written before that
    was so hold strided entries at the recording's rate, and those keys are then never read again.
    Frame folders carry no frame rate, so the assumed ``frames_fps`` is part of theirs.
    """
    if kind == "kinect_skeleton":
        out = {"stride": settings.stride, "max_frames": settings.max_frames}
        if settings.stride > 1:
            out["fps"] = "divided by stride"
        return out
    out = settings.as_dict()
    if kind == "frames":
        out["frames_fps"] = float(frames_fps)
    return out


def make_key(content_hash: str, kind: str, settings: dict, index: int | None = None) -> str:
    """Store key of an input given its content hash, kind, output settings and index."""
    material = {"content": content_hash, "kind": kind, "index": index,
                "settings": settings, "store_version": STORE_VERSION}
    return hashlib.sha256(canonical_json(material).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _folder_files(folder: Path) -> list[tuple[str, Path]]:
    files = [p for p in folder.rglob("*") if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    return sorted((p.relative_to(folder).as_posix(), p) for p in files)


def _stat_sig(st: os.stat_result) -> list[int]:
    """Size, mtime, ctime and inode. Content rewritten in place with the old size and mtime put
    back (``touch -d``, ``os.utime``) still moves the ctime, which only the kernel sets; a copy
    over the file from elsewhere is another inode or ctime too. Costs one stat, no reading."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _signature(path: Path) -> tuple[str, list[tuple[str, Path]]]:
    """Cheap fingerprint that changes when the content may have changed (see :func:`_stat_sig`)."""
    if path.is_dir():
        files = _folder_files(path)
        listing = [(name, *_stat_sig(p.stat())) for name, p in files]
        return "dir2:" + hashlib.sha256(canonical_json(listing).encode()).hexdigest(), files
    return "file2:" + ":".join(map(str, _stat_sig(path.stat()))), []


def read_json_object(path: Path, what: str) -> dict:
    """The JSON object in ``path``; StoreError "store damaged at PATH: ..." if it is not one.

    FileNotFoundError passes through (the caller knows what a missing file means).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StoreError(f"store damaged at {path}: cannot read it ({exc.strerror or exc}); {what}") from None
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StoreError(f"store damaged at {path}: not UTF-8 text (byte {exc.start}); {what}") from None
    except json.JSONDecodeError as exc:
        raise StoreError(f"store damaged at {path}: not JSON ({exc.msg} at line {exc.lineno}); {what}") from None
    if not isinstance(obj, dict):
        raise StoreError(f"store damaged at {path}: a JSON {type(obj).__name__}, not an object; {what}")
    return obj


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path``, fsync it, rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda fh: fh.write(text.encode("utf-8")))
    _fsync_dir(path.parent)


class _FlockFile:
    """An exclusive flock on a lock file that is deleted on release (inode checked on acquire)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self, blocking: bool) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                return False
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}@{socket.gethostname()}\n".encode())
                self._fd = fd
                return True
            os.close(fd)  # the holder deleted the file as we waited: lock the new one

    def release(self) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None


class KeypointStore:
    """A folder of extracted keypoint sequences and their records (see the module docstring).

    ``create=False`` opens an existing store only (for reading or exporting).
    """

    def __init__(self, root: str | os.PathLike, create: bool = True):
        self.root = Path(root)
        self._open(create)
        self._index: dict[str, dict[str, str]] | None = None
        self._index_new: dict[str, dict[str, str]] = {}
        self._index_flushed = time.monotonic()

    def _open(self, create: bool) -> None:
        meta = self.root / STORE_META
        if meta.is_file():
            info = read_json_object(meta, "it should hold only the store's format and version: "
                                          f'{canonical_json({"format": STORE_FORMAT, "version": STORE_VERSION})}')
            if info.get("format") != STORE_FORMAT or info.get("version") != STORE_VERSION:
                raise StoreError(
                    f"{self.root} is a keypoint store of format {info.get('format')!r} version "
                    f"{info.get('version')!r}; this posehar reads version {STORE_VERSION}: use a new --out folder"
                )
            return
        if not create:
            raise StoreError(f"{self.root} is not a posehar keypoint store (no store.json)")
        if self.root.exists() and (not self.root.is_dir() or any(
                not p.name.startswith(".") for p in self.root.iterdir())):
            raise StoreError(
                f"{self.root} exists and is not a posehar keypoint store (no store.json); "
                "choose a new or empty folder"
            )
        atomic_write_text(meta, canonical_json({"format": STORE_FORMAT, "version": STORE_VERSION}) + "\n")

    # ---- content hashing ----------------------------------------------------------------

    @property
    def _index_path(self) -> Path:
        return self.root / "hash_index.json"

    def _read_index(self) -> dict[str, dict[str, str]]:
        try:
            entries = json.loads(self._index_path.read_bytes().decode("utf-8")).get("entries", {})
        except (OSError, ValueError, AttributeError):  # ValueError: not UTF-8, not JSON
            return {}  # a missing or damaged index only costs rehashing
        if not isinstance(entries, dict):
            return {}
        return {k: v for k, v in entries.items()
                if isinstance(v, dict) and isinstance(v.get("sig"), str) and isinstance(v.get("sha256"), str)}

    def content_hash(self, path: str | os.PathLike) -> str:
        """sha256 of a file's bytes, or of a folder's sorted (name, size, sha256) list.

        Cached by (absolute path, size, mtime_ns) - for folders, of every file - in
        ``hash_index.json``; call :meth:`flush_index` to persist new entries (done every 10 s).
        """
        p = Path(os.path.realpath(path))  # no RuntimeError on a symlink loop: stat below says ELOOP
        try:
            p.stat()
        except FileNotFoundError:
            raise FileNotFoundError(f"input not found: {p}") from None
        if self._index is None:
            self._index = self._read_index()
        sig, files = _signature(p)
        hit = self._index.get(str(p))
        if hit and hit.get("sig") == sig:
            return hit["sha256"]
        if p.is_dir():
            listing = [(name, f.stat().st_size, file_sha256(f)) for name, f in files]
            digest = hashlib.sha256(canonical_json(listing).encode()).hexdigest()
        else:
            digest = file_sha256(p)
        entry = {"sig": sig, "sha256": digest}
        self._index[str(p)] = self._index_new[str(p)] = entry
        if time.monotonic() - self._index_flushed > 10:
            self.flush_index()
        return digest

    def flush_index(self) -> None:
        """Merge this process's new hash entries into ``hash_index.json`` (atomic, locked)."""
        self._index_flushed = time.monotonic()
        if not self._index_new:
            return
        with self._locked(_INDEX_LOCK, blocking=True):
            entries = self._read_index()
            entries.update(self._index_new)
            atomic_write_text(self._index_path, canonical_json({"version": 1, "entries": entries}))
        self._index_new = {}

    def key_for(self, sample: "Sample", settings: PoseSettings, frames_fps: float = 30.0) -> str:
        """The store key of ``sample`` extracted with ``settings`` (hashes its content)."""
        return make_key(self.content_hash(sample.source), sample.kind,
                        key_settings(sample.kind, settings, frames_fps), sample.index)

    # ---- locks and temp files -----------------------------------------------------------

    @contextmanager
    def _locked(self, name: str, blocking: bool) -> Iterator[bool]:
        lock = _FlockFile(self.root / "locks" / f"{name}.lock")
        got = lock.acquire(blocking)
        try:
            yield got
        finally:
            if got:
                lock.release()

    @contextmanager
    def lock(self, key: str, blocking: bool = False) -> Iterator[bool]:
        """Hold the lock of ``key``; yields False (without waiting) if another process holds it.

        Taking it also deletes that key's temp files left by a killed process.
        """
        with self._locked(key, blocking) as got:
            if got:
                for tmp in self._temp_files(f".{key}."):
                    tmp.unlink(missing_ok=True)
            yield got

    def lock_holder(self, key: str) -> str:
        """``pid@host`` of the process holding ``key``'s lock, or '' if unknown."""
        try:
            return (self.root / "locks" / f"{key}.lock").read_text().strip()
        except OSError:
            return ""

    def _temp_files(self, prefix: str = ".") -> list[Path]:
        found = list((self.root / "records").glob(f"{prefix}*.tmp"))
        found += (self.root / "seq").glob(f"*/{prefix}*.tmp")
        return found

    def clean_temp(self) -> int:
        """Delete temp files left by killed processes (those not being written now); return how many."""
        removed = 0
        for tmp in self._temp_files():
            key = tmp.name[1:].split(".", 1)[0]
            with self._locked(key, blocking=False) as got:
                if got and tmp.exists():
                    tmp.unlink()
                    removed += 1
        with self._locked(_INDEX_LOCK, blocking=True):
            for tmp in self.root.glob(".hash_index.json.*.tmp"):
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed

    # ---- sequences and records ----------------------------------------------------------

    def sequence_path(self, key: str) -> Path:
        return self.root / "seq" / key[:2] / f"{key}.npz"

    def record_path(self, key: str) -> Path:
        return self.root / "records" / f"{key}.json"

    def record(self, key: str) -> dict | None:
        """The record of ``key``, or None if it was never finished."""
        path = self.record_path(key)
        redo = "delete it to redo that sample"
        try:
            rec = read_json_object(path, redo)
        except FileNotFoundError:
            return None
        problem = ("its key is not its name" if rec.get("key") != key
                   else "status is neither 'ok' nor 'failed'" if rec.get("status") not in ("ok", "failed")
                   else "frames is not a count" if type(rec.get("frames")) is not int or rec["frames"] < 0
                   else "reason is not text" if not isinstance(rec.get("reason"), str)
                   else "label or source is not text" if not (isinstance(rec.get("label"), str)
                                                              and isinstance(rec.get("source"), str))
                   else "")
        if problem:
            raise StoreError(f"store damaged at {path}: {problem}; {redo}")
        return rec

    def has(self, key: str) -> bool:
        """True if ``key`` was extracted successfully and its sequence is on disk, intact as far
        as a cheap check tells (:meth:`sequence_intact`)."""
        rec = self.record(key)
        return rec is not None and rec["status"] == "ok" and self.sequence_intact(key, rec)

    def sequence_intact(self, key: str, rec: dict) -> bool:
        """Whether ``key``'s sequence file is there, has the size its record holds (records of
        earlier versions hold none) and reads as a zip holding a pose array. Reads the zip's
        directory only, not the arrays: bytes garbled inside an array keep the size and are
        caught by the zip's CRC when the sequence is loaded."""
        path = self.sequence_path(key)
        try:
            size = path.stat().st_size
            if "sequence_bytes" in rec and rec["sequence_bytes"] != size:
                return False
            with zipfile.ZipFile(path) as zf:
                return "pose.npy" in zf.namelist()
        except NPZ_READ_ERRORS:
            return False

    def load(self, key: str) -> KeypointSequence:
        """The sequence stored under ``key`` (raises if there is none)."""
        if not self.has(key):
            raise StoreError(f"no extracted sequence for key {key} in {self.root}")
        return KeypointSequence.load(self.sequence_path(key))

    def get(self, sample: "Sample", settings: PoseSettings, frames_fps: float = 30.0) -> KeypointSequence | None:
        """The stored sequence of ``sample`` with ``settings`` (labelled as ``sample``), or None."""
        key = self.key_for(sample, settings, frames_fps)
        if not self.has(key):
            return None
        seq = self.load(key)
        seq.label = sample.label
        seq.meta.update(label=sample.label, group=sample.group, source=str(sample.source))
        return seq

    def _record(self, key: str, sample: "Sample", settings: dict, **fields: Any) -> dict:
        rec = {
            "key": key, "source": str(sample.source), "label": sample.label, "group": sample.group,
            "kind": sample.kind, "index": sample.index, "settings": settings,
            "posehar_version": __version__, "store_version": STORE_VERSION,
            "host": socket.gethostname(), "pid": os.getpid(), "time": time.time(), **fields,
        }
        atomic_write_text(self.record_path(key), json.dumps(rec, indent=1, sort_keys=True) + "\n")
        return rec

    def put(self, key: str, seq: KeypointSequence, sample: "Sample", settings: dict, seconds: float = 0.0) -> dict:
        """Save ``seq`` under ``key`` (labelled with ``sample``), then its ok record; returns the record.

        Call it while holding :meth:`lock` of ``key``.
        """
        seq.label = sample.label
        seq.meta.update(label=sample.label, group=sample.group, kind=sample.kind, store_key=key)
        seq.save(self.sequence_path(key))
        size = self.sequence_path(key).stat().st_size
        return self._record(key, sample, settings, status="ok", reason="", frames=len(seq), seconds=seconds,
                            sequence_bytes=size)

    def record_failure(self, key: str, sample: "Sample", settings: dict, reason: str, seconds: float = 0.0) -> dict:
        """Record that ``sample`` cannot be extracted with these settings, and why."""
        return self._record(key, sample, settings, status="failed", reason=reason, frames=0, seconds=seconds)

    def records(self) -> Iterator[dict]:
        """Every finished record (ok and failed), in key order."""
        for path in sorted((self.root / "records").glob("*.json")):
            rec = self.record(path.stem)
            if rec is not None:
                yield rec

    def manifest(self) -> list[dict]:
        """Every record, sorted by (label, source), with ``sequence`` = the path of ok ones."""
        rows = []
        for rec in self.records():
            ok = rec["status"] == "ok"
            rows.append({**rec, "sequence": str(self.sequence_path(rec["key"])) if ok else None})
        return sorted(rows, key=lambda r: (str(r["label"]), r["source"], r["key"]))

    def labelled_rows(self) -> list[dict]:
        """The ok records of :meth:`manifest`: what the store can train or evaluate on.

        Raises StoreError where it holds none, or one source extracted with more than one setting
        (it would count twice: extract each setting into its own store).
        """
        rows = [r for r in self.manifest() if r["status"] == "ok"]
        if not rows:
            raise StoreError(f"{self.root} holds no extracted sequences")
        counts = Counter((r["source"], r.get("index")) for r in rows)
        twice = sorted({source for (source, _), n in counts.items() if n > 1})
        if twice:
            raise StoreError(f"{self.root} holds {twice[0]} (and {len(twice) - 1} more) under more than one pose "
                             "setting; train on a store of one setting")
        return rows

    def labels_and_groups(self) -> tuple[list[str], list[str]]:
        """(labels, groups) of :meth:`labelled_rows`, read from the records alone (a record without
        a group is its own group)."""
        return _labels_and_groups(self.labelled_rows())

    def labelled_sequences(self) -> tuple[list[KeypointSequence], list[str], list[str]]:
        """(sequences, labels, groups) of every ok record, in :meth:`labelled_rows` order."""
        rows = self.labelled_rows()
        return [self.load(r["key"]) for r in rows], *_labels_and_groups(rows)


def _labels_and_groups(rows: list[dict]) -> tuple[list[str], list[str]]:
    return ([str(r["label"]) for r in rows],
            [str(r["group"] if r.get("group") is not None else r["source"]) for r in rows])


def is_keypoint_store(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a posehar keypoint store (made by ``extract``, ``import-pyskl`` or ``--store``)."""
    return (Path(folder) / STORE_META).is_file()
