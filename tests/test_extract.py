"""extract_dataset on real clips: skipping, failures, resume after SIGKILL, concurrency, Dask.

MediaPipe gives bit-identical keypoints for identical input here, also across processes
(spawned workers, subprocesses, Dask workers), so stores are compared with exact equality.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from posehar.cli import main
from posehar.datasets import Sample
from posehar.extract import extract_dataset
from posehar.pose import PoseSettings, extract_keypoints
from posehar.store import KeypointStore

SETTINGS = PoseSettings(keypoints="body", max_frames=8)
CLIPS = ("seed_test_6", "seed_test_7", "seed_test_8", "seed_test_9")

# Extracts the clips given on the command line; with PAUSE > 0 it stalls that long in the
# second sample (holding its lock), so that the test can SIGKILL it mid-run.
SCRIPT = """
import json, sys, time
from pathlib import Path
import posehar.extract as ex
from posehar.datasets import Sample
from posehar.pose import PoseSettings

store, pause, *clips = sys.argv[1:]
real, calls = ex.read_sample, []
def stalling(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        time.sleep(float(pause))
    return real(*args, **kwargs)
ex.read_sample = stalling
samples = [Sample(Path(c), "a", Path(c).stem, "video") for c in clips]
report = ex.extract_dataset(samples, store, PoseSettings(keypoints="body", max_frames=8), progress=False)
print(json.dumps([[r.key, r.status] for r in report.results]))
"""


def _samples(folder: Path, names=CLIPS) -> list[Sample]:
    return [Sample(folder / f"{n}.mp4", "a", n, "video") for n in names]


def _run_script(script: Path, store: Path, clips: list[Sample], pause: float = 0.0) -> subprocess.Popen:
    args = [sys.executable, str(script), str(store), str(pause), *[str(s.source) for s in clips]]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)


def assert_same_store(a: KeypointStore, b: KeypointStore) -> None:
    """Same ok keys, and bit-identical sequences under each."""
    keys = sorted(r["key"] for r in a.records() if r["status"] == "ok")
    assert keys == sorted(r["key"] for r in b.records() if r["status"] == "ok")
    for key in keys:
        x, y = a.load(key), b.load(key)
        for name in ("pose", "pose_present", "frame_indices"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name))
        assert (x.fps, x.frame_size, x.label) == (y.fps, y.frame_size, y.label)


def assert_clean(root: Path) -> None:
    leftovers = [p for p in root.rglob("*") if p.name.endswith(".tmp") or p.suffix == ".lock"]
    assert not leftovers
    for npz in root.glob("seq/*/*.npz"):
        assert KeypointStore(root).has(npz.stem)


@pytest.fixture(scope="module")
def script(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("script") / "extract_clips.py"
    path.write_text(SCRIPT)
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory, videos: Path) -> KeypointStore:
    """An uninterrupted in-process run over CLIPS."""
    store = KeypointStore(tmp_path_factory.mktemp("reference") / "store")
    report = extract_dataset(_samples(videos), store, SETTINGS, progress=False)
    assert len(report.with_status("done")) == len(CLIPS)
    return store


def test_failures_recorded_duplicates_and_reruns_skipped(tmp_path: Path, videos: Path, reference: KeypointStore) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(videos / "seed_test_9.mp4", clips / "renamed_copy.mp4")
    data = (videos / "seed_test_7.mp4").read_bytes()
    (clips / "truncated.mp4").write_bytes(data[: len(data) // 10])
    (clips / "text.mp4").write_text("this is not a video\n")
    samples = _samples(videos, ("seed_test_6", "seed_test_9")) + [
        Sample(clips / n, "b", n, "video") for n in ("renamed_copy.mp4", "truncated.mp4", "text.mp4")
    ] + [Sample(videos / "missing.mp4", "b", "m", "video"), Sample(clips / "k.npz", "b", "k", "keypoints")]
    store = KeypointStore(tmp_path / "store")

    first = extract_dataset(samples, store, SETTINGS, progress=False)
    status = {Path(r.source).name: r.status for r in first.results}
    assert status == {"seed_test_6.mp4": "done", "seed_test_9.mp4": "done", "renamed_copy.mp4": "skipped",
                      "truncated.mp4": "failed", "text.mp4": "failed", "missing.mp4": "failed", "k.npz": "ignored"}
    reasons = {Path(r.source).name: r.reason for r in first.with_status("failed")}
    assert "decodes no frames" in reasons["truncated.mp4"] and "cannot decode" in reasons["text.mp4"]
    assert "not found" in reasons["missing.mp4"]
    recorded = {Path(r["source"]).name: r for r in store.records()}
    assert recorded["truncated.mp4"]["status"] == "failed" and recorded["truncated.mp4"]["reason"] == reasons["truncated.mp4"]
    assert first.frames == 8 + 8 and "failed 3" in first.summary() and "text.mp4" in first.summary()
    for sample in samples[:2]:
        np.testing.assert_array_equal(store.get(sample, SETTINGS).pose, reference.get(sample, SETTINGS).pose)

    second = extract_dataset(samples, store, SETTINGS, progress=False)
    assert not second.with_status("done") and len(second.with_status("skipped")) == 3
    assert sum(r.from_store for r in second.with_status("failed")) == 2
    retried = extract_dataset(samples, store, SETTINGS, progress=False, retry_failed=True)
    assert not retried.with_status("done") and not any(r.from_store for r in retried.with_status("failed"))

    other = PoseSettings(keypoints="body", max_frames=5)
    third = extract_dataset(samples[:3], store, other, progress=False)
    assert len(third.with_status("done")) == 2 and len(store.get(samples[2], other)) == 5
    assert len(store.get(samples[2], SETTINGS)) == 8


def test_frame_folder_matches_the_video(tmp_path: Path, videos: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    cap = cv2.VideoCapture(str(videos / "seed_test_9.mp4"))
    for i in range(1, 12):  # names 1..11: natural order, not 1, 10, 11, 2
        ok, frame = cap.read()
        if ok:
            cv2.imwrite(str(folder / f"frame{i}.png"), frame)
    cap.release()
    sample = Sample(folder, "a", "g", "frames")
    report = extract_dataset([sample], tmp_path / "store", SETTINGS, progress=False, frames_fps=25.0)
    assert report.with_status("done")
    got = KeypointStore(tmp_path / "store").get(sample, SETTINGS, frames_fps=25.0)
    video = extract_keypoints(videos / "seed_test_9.mp4", SETTINGS)
    np.testing.assert_array_equal(got.pose, video.pose)
    assert got.frame_size == video.frame_size and got.fps == 25.0


def test_kinect_skeletons_need_no_mediapipe(tmp_path: Path) -> None:
    from dataset_fixtures import make_g3d_sequence

    sample = Sample(make_g3d_sequence(tmp_path / "seq", frames=(1, 2, 3, 10)) / "Skeleton", "wave", "actor01",
                    "kinect_skeleton")
    strided = PoseSettings(stride=2)
    report = extract_dataset([sample], tmp_path / "store", strided, progress=False)
    assert report.with_status("done")[0].frames == 2
    store = KeypointStore(tmp_path / "store")
    seq = store.get(sample, PoseSettings(keypoints="body", stride=2))  # MediaPipe settings do not matter
    assert seq.layout == "kinect_v1" and seq.frame_indices.tolist() == [1, 3] and seq.label == "wave"
    assert seq.fps == 15.0  # every second frame of a 30 fps recording: motion keeps its speed


def test_a_strided_kinect_entry_stored_at_the_recordings_frame_rate_is_extracted_again(tmp_path: Path) -> None:
    """Stores written while a stride kept a Kinect recording's 30 fps hold such entries under the key
    of stride and frame cap alone; a strided extraction now reads under another key (unstrided ones
    keep theirs)."""
    from dataset_fixtures import make_g3d_sequence

    from posehar.store import make_key

    sample = Sample(make_g3d_sequence(tmp_path / "seq", frames=(1, 2, 3, 10)) / "Skeleton", "wave", "actor01",
                    "kinect_skeleton")
    store = KeypointStore(tmp_path / "store")
    assert extract_dataset([sample], store, PoseSettings(), progress=False).with_status("done")
    recording = store.get(sample, PoseSettings())
    assert recording.fps == 30.0
    old_key = make_key(store.content_hash(sample.source), sample.kind, {"stride": 2, "max_frames": None})
    assert store.key_for(sample, PoseSettings()) == make_key(store.content_hash(sample.source), sample.kind,
                                                              {"stride": 1, "max_frames": None})
    wrong = recording.every(2)
    wrong.fps = 30.0  # as the bug stored it
    store.put(old_key, wrong, sample, {"stride": 2}, 0.1)
    report = extract_dataset([sample], store, PoseSettings(stride=2), progress=False)
    assert [r.status for r in report.results] == ["done"]
    assert store.get(sample, PoseSettings(stride=2)).fps == 15.0


def test_cli_extract_summary_and_exit_codes(tmp_path: Path, videos: Path, capsys) -> None:
    root = tmp_path / "custom"
    for cls, clip in (("kick", "seed_test_6"), ("wave", "seed_test_9")):
        (root / cls).mkdir(parents=True)
        shutil.copy(videos / f"{clip}.mp4", root / cls / f"{clip}.mp4")
    (root / "wave" / "broken.mp4").write_text("not a video")
    common = ["--keypoints", "body", "--max-frames", "4", "--quiet"]
    args = ["extract", "custom", str(root), "--out", str(tmp_path / "store"), *common]
    assert main(args) == 1  # the others are extracted and kept, and the unreadable one is an error
    out, err = capsys.readouterr()
    assert "done 2, skipped 0 (already in store), failed 1" in out and "broken.mp4" in out and "frames/s" in out
    assert err.strip() == ("posehar: error: 1 of 3 samples gave no keypoints (listed above); the others' keypoints "
                           "are kept in the store")
    assert main(args) == 1  # until it is mended or removed
    assert "done 0, skipped 2" in capsys.readouterr().out
    (root / "wave" / "broken.mp4").unlink()
    assert main(args) == 0
    grey = root / "wave" / "nobody.mp4"  # a readable video with nobody in it: extracted, and said
    writer = cv2.VideoWriter(str(grey), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (160, 120))
    for i in range(6):
        writer.write(np.full((120, 160, 3), 40 + 5 * i, np.uint8))
    writer.release()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "done 1, skipped 2" in out and "no person found in 1 extracted sample(s)" in out
    assert f"  no person: {grey}" in out
    (root / "kick" / "seed_test_6.mp4").write_text("broken too")
    (root / "wave" / "seed_test_9.mp4").write_text("broken too")  # same content: failed, not skipped
    assert main(["extract", "custom", str(root), "--out", str(tmp_path / "other"), *common]) == 1
    assert main(["extract", "no-such-dataset", str(root), "--out", str(tmp_path / "x")]) == 2
    assert "unknown dataset" in capsys.readouterr().err


def test_resume_after_sigkill(tmp_path: Path, videos: Path, script: Path, reference: KeypointStore) -> None:
    store_dir = tmp_path / "store"
    proc = _run_script(script, store_dir, _samples(videos), pause=60)
    try:
        deadline = time.monotonic() + 60
        while not list(store_dir.glob("records/*.json")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    store = KeypointStore(store_dir)
    assert 1 <= len(list(store.records())) < len(CLIPS)
    assert list(store_dir.glob("locks/*.lock"))  # the killed run held the second sample's lock
    key = store.key_for(_samples(videos)[1], SETTINGS)
    torn = store.sequence_path(key).with_name(f".{key}.npz.{proc.pid}.tmp")  # as a kill mid-write leaves it
    torn.parent.mkdir(parents=True, exist_ok=True)
    torn.write_bytes(b"PK\x03\x04 torn")

    resumed = extract_dataset(_samples(videos), store, SETTINGS, progress=False)
    assert len(resumed.with_status("done")) == len(CLIPS) - 1 and len(resumed.with_status("skipped")) == 1
    assert_same_store(store, reference)
    assert_clean(store_dir)


def test_two_concurrent_processes_extract_each_clip_once(tmp_path: Path, videos: Path, script: Path,
                                                         reference: KeypointStore) -> None:
    store_dir = tmp_path / "store"
    KeypointStore(store_dir)
    procs = [_run_script(script, store_dir, _samples(videos)) for _ in range(2)]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    done = [key for out in outputs for key, status in out if status == "done"]
    assert sorted(done) == sorted(set(done)) and len(done) == len(CLIPS)
    assert all(status in ("done", "skipped", "busy") for out in outputs for _, status in out)
    assert_same_store(KeypointStore(store_dir), reference)
    assert_clean(store_dir)


def test_local_processes_and_dask_cluster_match_a_local_run(tmp_path: Path, videos: Path, reference: KeypointStore) -> None:
    distributed = pytest.importorskip("distributed")
    report = extract_dataset(_samples(videos), tmp_path / "pool", SETTINGS, workers=2, progress=False)
    assert len(report.with_status("done")) == len(CLIPS)
    assert_same_store(KeypointStore(tmp_path / "pool"), reference)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        report = extract_dataset(_samples(videos), tmp_path / "dask", SETTINGS, scheduler=client, progress=False)
    assert len(report.with_status("done")) == len(CLIPS)
    assert_same_store(KeypointStore(tmp_path / "dask"), reference)
    assert_clean(tmp_path / "dask")


def test_dask_scheduler_without_distributed_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"posehar\[dask\]"):
        extract_dataset([], tmp_path / "store", SETTINGS, scheduler="tcp://127.0.0.1:8786", progress=False)
