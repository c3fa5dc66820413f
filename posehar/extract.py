"""Extract keypoints of a whole dataset into a KeypointStore: parallel, resumable, never aborting.

Each sample is keyed by its content and the pose settings (see posehar.store). Samples whose
key is done are skipped, the rest run in worker processes (``spawn``: MediaPipe graphs are
created inside the worker, one per video) or on a Dask cluster; workers write straight into
the store and send back only a small :class:`SampleResult`. An unreadable input is recorded
as failed with its reason and is not retried unless ``retry_failed=True``.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import socket
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import cv2
import numpy as np

from .datasets.base import IMAGE_EXTENSIONS
from .errors import KeypointFormatError, PoseharError, VideoError
from .pose import PoseSettings, check_model_available, extract_keypoints, sequence_from_rows, track_frames
from .sequence import MAX_FPS, MIN_FPS, KeypointSequence
from .store import KeypointStore, key_settings

if TYPE_CHECKING:
    from .datasets import Sample

EXTRACTED_KINDS = ("video", "frames", "kinect_skeleton")


@dataclass(frozen=True)
class SampleResult:
    """What happened to one sample.

    status: done (extracted now), skipped (already in the store, or same content as another
    sample), failed (input unreadable; recorded with ``reason``), error (unexpected error, not
    recorded: retried next run), busy (another process holds its lock), ignored (already keypoints).
    ``from_store`` is True when the status comes from an earlier run's record; ``person_fraction``
    is the share of frames with a person, for samples extracted in this run.
    """

    source: str
    label: str
    status: str
    key: str | None = None
    frames: int = 0
    seconds: float = 0.0
    reason: str = ""
    from_store: bool = False
    person_fraction: float | None = None


@dataclass
class ExtractReport:
    """Results of :func:`extract_dataset`, one per sample, and the run's wall time."""

    results: list[SampleResult]
    seconds: float

    def with_status(self, status: str) -> list[SampleResult]:
        """The results whose status is ``status`` (done, skipped, failed, error, busy or ignored)."""
        return [r for r in self.results if r.status == status]

    @property
    def frames(self) -> int:
        """Frames extracted in this run."""
        return sum(r.frames for r in self.with_status("done"))

    @property
    def fps(self) -> float:
        """Frames extracted per second of wall time in this run."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """A few lines for people: counts, frames/s, and every failure with its reason."""
        n = {s: len(self.with_status(s)) for s in ("done", "skipped", "failed", "error", "busy", "ignored")}
        earlier = sum(r.from_store for r in self.with_status("failed"))
        lines = [
            f"done {n['done']}, skipped {n['skipped']} (already in store), failed {n['failed']}"
            + (f" ({earlier} in an earlier run; --retry-failed retries them)" if earlier else "")
            + (f", errors {n['error']} (retried next run)" if n["error"] else "")
            + (f", busy {n['busy']} (being extracted by another process)" if n["busy"] else "")
            + (f", not extracted {n['ignored']} (already keypoints)" if n["ignored"] else ""),
            f"{self.frames} frames in {self.seconds:.1f} s: {self.fps:.1f} frames/s",
        ]
        for r in self.with_status("failed") + self.with_status("error"):
            lines.append(f"  {r.status}: {r.source}: {r.reason}")
        nobody = [r for r in self.with_status("done") if r.person_fraction == 0.0]
        if nobody:
            lines.append(f"no person found in {len(nobody)} extracted sample(s) (kept; a model reads them as "
                         "'no person'):")
            lines += [f"  no person: {r.source}" for r in nobody]
        return "\n".join(lines)


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def image_frames(folder: str | os.PathLike, stride: int = 1,
                 max_frames: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, BGR frame)`` from a folder of png/jpg/bmp images, in natural name order."""
    root = Path(folder)
    if not root.is_dir():
        raise VideoError(f"frame folder not found: {root}")
    files = sorted((p for p in root.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS),
                   key=lambda p: _natural_key(p.name))
    if not files:
        raise VideoError(f"{root} holds no .png, .jpg or .bmp frames")
    for index, path in list(enumerate(files))[::stride][:max_frames]:
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            raise VideoError(f"cannot read frame image {path} (corrupt or not an image)")
        yield index, frame


def _frames_sequence(folder: Path, settings: PoseSettings, fps: float) -> KeypointSequence:
    shapes: list[tuple[int, ...]] = []

    def frames() -> Iterator[tuple[int, np.ndarray]]:
        for index, frame in image_frames(folder, settings.stride, settings.max_frames):
            shapes.append(frame.shape)
            yield index, frame

    rows = list(track_frames(frames(), settings))
    return sequence_from_rows(rows, settings, fps / settings.stride, (shapes[0][1], shapes[0][0]), str(folder))


def _kinect_sequence(folder: Path, settings: PoseSettings) -> KeypointSequence:
    from .datasets.g3d import read_g3d_skeleton_folder

    seq = read_g3d_skeleton_folder(folder)
    return seq.every(settings.stride).slice(0, settings.max_frames)


def read_sample(sample: "Sample", settings: PoseSettings, frames_fps: float = 30.0) -> KeypointSequence:
    """Keypoints of one sample: MediaPipe for videos and frame folders, the file for Kinect skeletons."""
    source = Path(sample.source)
    if sample.kind == "video":
        return extract_keypoints(source, settings)
    if sample.kind == "frames":
        return _frames_sequence(source, settings, frames_fps)
    if sample.kind == "kinect_skeleton":
        return _kinect_sequence(source, settings)
    raise ValueError(f"sample kind {sample.kind!r} is not extracted (expected one of {EXTRACTED_KINDS})")


def extract_one(store_root: str, sample: "Sample", key: str, settings: PoseSettings,
                frames_fps: float = 30.0, retry_failed: bool = False) -> SampleResult:
    """Extract one sample into the store under its lock (the function workers run)."""
    store = KeypointStore(store_root, create=False)
    src = str(sample.source)
    with store.lock(key) as got:
        if not got:
            return SampleResult(src, sample.label, "busy", key, reason=f"locked by {store.lock_holder(key)}")
        done = _from_store(store, sample, key, retry_failed)
        if done is not None:
            return done
        t0 = time.perf_counter()
        used = key_settings(sample.kind, settings, frames_fps)
        try:
            seq = read_sample(sample, settings, frames_fps)
        except PoseharError as exc:
            seconds = time.perf_counter() - t0
            store.record_failure(key, sample, used, str(exc), seconds)
            return SampleResult(src, sample.label, "failed", key, seconds=seconds, reason=str(exc))
        except Exception as exc:  # noqa: BLE001 - reported, not recorded: the next run retries it
            return SampleResult(src, sample.label, "error", key, reason=f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - t0
        store.put(key, seq, sample, used, seconds)
        return SampleResult(src, sample.label, "done", key, frames=len(seq), seconds=seconds,
                            person_fraction=seq.person_fraction)


def _from_store(store: KeypointStore, sample: "Sample", key: str, retry_failed: bool) -> SampleResult | None:
    rec = store.record(key)
    if rec is None:
        return None
    if rec["status"] == "ok" and store.has(key):
        return SampleResult(str(sample.source), sample.label, "skipped", key, frames=rec["frames"], from_store=True)
    if rec["status"] == "failed" and not retry_failed:
        return SampleResult(str(sample.source), sample.label, "failed", key, reason=rec["reason"], from_store=True)
    return None


def _plan(samples: Iterable["Sample"], store: KeypointStore, settings: PoseSettings, frames_fps: float,
          retry_failed: bool) -> tuple[list[SampleResult], list[tuple["Sample", str]], list[tuple["Sample", str]]]:
    """Split samples into results known without extracting, (sample, key) jobs to run, and
    duplicates: (sample, key) whose content is that of an earlier sample."""
    known: list[SampleResult] = []
    jobs: list[tuple[Sample, str]] = []
    duplicates: list[tuple[Sample, str]] = []
    seen: set[str] = set()
    for sample in samples:
        src = str(sample.source)
        if sample.kind not in EXTRACTED_KINDS:
            known.append(SampleResult(src, sample.label, "ignored", reason=f"kind {sample.kind!r}"))
            continue
        try:
            key = store.key_for(sample, settings, frames_fps)
        except OSError as exc:
            known.append(SampleResult(src, sample.label, "failed", reason=f"cannot read input: {exc}"))
            continue
        if key in seen:
            duplicates.append((sample, key))
            continue
        seen.add(key)
        done = _from_store(store, sample, key, retry_failed)
        if done is not None:
            known.append(done)
        else:
            jobs.append((sample, key))
    store.flush_index()
    return known, jobs, duplicates


def _duplicate(sample: "Sample", first: SampleResult) -> SampleResult:
    """A sample with the same content as ``first`` shares its outcome (it is not extracted twice)."""
    status = "skipped" if first.status in ("done", "skipped") else first.status
    reason = f"same content as {first.source}" + (f": {first.reason}" if first.reason else "")
    return SampleResult(str(sample.source), sample.label, status, first.key, reason=reason, from_store=first.from_store)


def _dask_client(scheduler: Any) -> tuple[Any, bool]:
    """(client, whether we own it) for a ``tcp://`` address or an existing distributed.Client."""
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "extracting on a Dask cluster needs dask.distributed: pip install 'posehar[dask]'"
        ) from None
    if isinstance(scheduler, str):
        check_scheduler_reachable(scheduler)
        try:
            return distributed.Client(scheduler, timeout=10), True
        except Exception as exc:  # noqa: BLE001 - something listens there, but not a Dask scheduler
            why = f"{type(exc).__name__}: {exc}"
            raise PoseharError(f"the Dask scheduler at {scheduler} does not answer as one "
                               f"({why[:200]}); check the address") from None
    return scheduler, False


def check_scheduler_reachable(address: str, timeout: float = 5.0) -> None:
    """Raise PoseharError at once unless a TCP connection to ``address`` (``tcp://HOST:PORT``,
    ``tls://...`` or ``HOST:PORT``) opens within ``timeout`` seconds (distributed.Client
    would retry for 30 s before failing)."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme not in ("tcp", "tls"):
        return  # inproc://, ucx://, ...: left to distributed
    host, colon, port = rest.rstrip("/").rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise PoseharError(f"--scheduler {address!r} is not an address of the form tcp://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise PoseharError(f"cannot reach the Dask scheduler at {address} ({why} within {timeout:g} s); "
                           "is it running?") from None


def _run_jobs(jobs: Sequence[tuple["Sample", str]], args: tuple, workers: int, client: Any) -> Iterator[SampleResult]:
    """Run ``extract_one(store_root, sample, key, ...)`` for every job, yielding results as they finish."""
    store_root, rest = args[0], args[1:]
    if client is not None:
        import distributed

        futures = {client.submit(extract_one, store_root, s, k, *rest, pure=False): (s, k) for s, k in jobs}
        for fut in distributed.as_completed(futures):
            yield _result_or_error(fut, *futures[fut])
    elif workers <= 1:
        for sample, key in jobs:
            yield extract_one(store_root, sample, key, *rest)
    else:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            futures = {pool.submit(extract_one, store_root, s, k, *rest): (s, k) for s, k in jobs}
            for fut in as_completed(futures):
                yield _result_or_error(fut, *futures[fut])
        finally:  # on Ctrl-C, do not start the samples still queued
            pool.shutdown(wait=True, cancel_futures=True)


def _result_or_error(future: Any, sample: "Sample", key: str) -> SampleResult:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a dead worker must not abort the run
        return SampleResult(str(sample.source), sample.label, "error", key, reason=f"{type(exc).__name__}: {exc}")


def extract_dataset(
    samples: Iterable["Sample"],
    store: KeypointStore | str | os.PathLike,
    settings: PoseSettings = PoseSettings(),
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = True,
    retry_failed: bool = False,
    frames_fps: float = 30.0,
) -> ExtractReport:
    """Extract every sample not yet in ``store`` and return what happened to each.

    ``workers`` > 1 runs that many local processes (1 runs in this process); ``scheduler``
    (a ``tcp://host:port`` address or a ``distributed.Client``) runs on a Dask cluster
    instead, whose workers must see the store at the same path. ``frames_fps`` is the
    frame rate assumed for frame folders. Never raises for a bad sample: see the report. Settings
    that no sample could be extracted with (no such pose model, a frame rate out of range) raise
    before anything is read or written, rather than being recorded as every sample's failure.
    """
    check_model_available(settings.model_complexity)
    if not (isinstance(frames_fps, (int, float)) and MIN_FPS <= frames_fps <= MAX_FPS):
        raise KeypointFormatError(f"frames_fps must be a frame rate within {MIN_FPS:g}-{MAX_FPS:g}, got {frames_fps!r}")
    t0 = time.perf_counter()
    client, owned = _dask_client(scheduler) if scheduler is not None else (None, False)
    try:  # the scheduler is checked first: an unreachable one leaves no new store behind
        store = store if isinstance(store, KeypointStore) else KeypointStore(store)
        store.clean_temp()
        results, jobs, duplicates = _plan(samples, store, settings, frames_fps, retry_failed)
        args = (str(store.root.resolve()), settings, frames_fps, retry_failed)
        results += _run_with_progress(jobs, args, workers, client, progress, t0)
        by_key = {r.key: r for r in results if r.key is not None}
        results += [_duplicate(sample, by_key[key]) for sample, key in duplicates]
    finally:
        if owned:
            client.close()
    return ExtractReport(results, time.perf_counter() - t0)


def _run_with_progress(jobs: Sequence[tuple["Sample", str]], args: tuple, workers: int, client: Any,
                       progress: bool, t0: float) -> list[SampleResult]:
    """Run the jobs under a tqdm bar (videos, ETA, frames/s and failures so far as postfix)."""
    from tqdm.auto import tqdm

    results: list[SampleResult] = []
    frames = failed = 0
    with tqdm(total=len(jobs), unit="video", desc="extract", disable=not progress, dynamic_ncols=True) as bar:
        for res in _run_jobs(jobs, args, workers, client):
            results.append(res)
            frames += res.frames if res.status == "done" else 0
            failed += res.status in ("failed", "error")
            bar.set_postfix(fps=f"{frames / (time.perf_counter() - t0):.1f}", failed=failed, refresh=False)
            bar.update(1)
    return results
