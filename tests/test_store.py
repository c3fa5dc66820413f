"""KeypointStore: content keys, hash index, atomic records, per-key locks, temp cleanup (no MediaPipe)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posehar.datasets.base import Sample
from posehar.errors import StoreError
from posehar.pose import PoseSettings
from posehar.sequence import KeypointSequence
from posehar.store import STORE_VERSION, KeypointStore, make_key

SETTINGS = PoseSettings(keypoints="body", max_frames=8)


def _seq(t: int = 5, seed: int = 0) -> KeypointSequence:
    rng = np.random.default_rng(seed)
    return KeypointSequence(pose=rng.random((t, 33, 4), dtype=np.float32), fps=25.0, frame_size=(640, 480))


@pytest.fixture
def clips(tmp_path: Path, videos: Path) -> Path:
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(videos / "seed_test_9.mp4", folder / "a.mp4")
    shutil.copy(videos / "seed_test_9.mp4", folder / "renamed.mp4")
    shutil.copy(videos / "seed_test_6.mp4", folder / "b.mp4")
    return folder


def test_key_depends_on_content_and_settings_not_name(tmp_path: Path, clips: Path) -> None:
    store = KeypointStore(tmp_path / "store")
    key = lambda name, settings=SETTINGS: store.key_for(Sample(clips / name, "x", "g", "video"), settings)  # noqa: E731
    assert key("a.mp4") == key("renamed.mp4")
    assert key("a.mp4") != key("b.mp4")
    assert key("a.mp4") != key("a.mp4", PoseSettings(keypoints="body", max_frames=9))
    assert key("a.mp4") != store.key_for(Sample(clips / "a.mp4", "x", "g", "video", index=1), SETTINGS)


def test_hash_index_avoids_rehashing_and_notices_changes(tmp_path: Path, clips: Path, monkeypatch) -> None:
    store = KeypointStore(tmp_path / "store")
    first = store.content_hash(clips / "a.mp4")
    store.flush_index()
    index = json.loads((tmp_path / "store" / "hash_index.json").read_text())["entries"]
    assert index[str((clips / "a.mp4").resolve())]["sha256"] == first

    import posehar.store as store_module

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"rehashed {path}")

    monkeypatch.setattr(store_module, "file_sha256", no_hashing)
    assert KeypointStore(tmp_path / "store").content_hash(clips / "a.mp4") == first
    monkeypatch.undo()
    with open(clips / "a.mp4", "ab") as fh:
        fh.write(b"\0")
    assert KeypointStore(tmp_path / "store").content_hash(clips / "a.mp4") != first


def test_frame_folder_hash_covers_names_and_content(tmp_path: Path) -> None:
    store = KeypointStore(tmp_path / "store")
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "1.png").write_bytes(b"one")
    (folder / "2.png").write_bytes(b"two")
    before = store.content_hash(folder)
    (folder / "2.png").write_bytes(b"TWO")
    os.utime(folder / "2.png", ns=(1, 1))
    changed = store.content_hash(folder)
    (folder / "2.png").rename(folder / "3.png")
    assert len({before, changed, store.content_hash(folder)}) == 3


def test_put_get_records_manifest(tmp_path: Path, clips: Path) -> None:
    store = KeypointStore(tmp_path / "store")
    good, bad = Sample(clips / "a.mp4", "wave", "p1", "video"), Sample(clips / "b.mp4", "kick", "p2", "video")
    key, bad_key = store.key_for(good, SETTINGS), store.key_for(bad, SETTINGS)
    assert store.get(good, SETTINGS) is None and not store.has(key)
    store.put(key, _seq(), good, SETTINGS.as_dict(), seconds=0.5)
    store.record_failure(bad_key, bad, SETTINGS.as_dict(), "cannot decode it")
    again = store.get(Sample(clips / "renamed.mp4", "wave2", "p3", "video"), SETTINGS)
    np.testing.assert_array_equal(again.pose, _seq().pose)
    assert again.label == "wave2" and again.meta["group"] == "p3"
    assert store.load(key).meta["group"] == "p1"
    recs = {r["key"]: r for r in store.records()}
    assert recs[key]["status"] == "ok" and recs[key]["frames"] == 5 and recs[key]["settings"]["max_frames"] == 8
    assert recs[bad_key]["status"] == "failed" and recs[bad_key]["reason"] == "cannot decode it"
    assert not store.has(bad_key)
    manifest = store.manifest()
    assert [r["label"] for r in manifest] == ["kick", "wave"]
    assert manifest[0]["sequence"] is None and Path(manifest[1]["sequence"]).is_file()
    assert json.loads((tmp_path / "store" / "store.json").read_text())["version"] == STORE_VERSION


def test_refuses_foreign_folders_and_other_versions(tmp_path: Path) -> None:
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a posehar keypoint store"):
        KeypointStore(tmp_path / "foreign")
    with pytest.raises(StoreError, match="no store.json"):
        KeypointStore(tmp_path / "missing", create=False)
    KeypointStore(tmp_path / "old")
    (tmp_path / "old" / "store.json").write_text(json.dumps({"format": "posehar-keypoint-store", "version": 0}))
    with pytest.raises(StoreError, match="version 0"):
        KeypointStore(tmp_path / "old")


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    store = KeypointStore(tmp_path / "store")
    with store.lock("k1") as got:
        assert got
        assert f"{os.getpid()}@" in store.lock_holder("k1")
        with KeypointStore(tmp_path / "store").lock("k1") as again:
            assert not again
        with store.lock("k2") as other:
            assert other
    with store.lock("k1") as got:
        assert got
    assert not list((tmp_path / "store" / "locks").iterdir())


def test_lock_of_a_killed_process_is_free(tmp_path: Path) -> None:
    store = KeypointStore(tmp_path / "store")
    code = ("import sys, time; from posehar.store import KeypointStore\n"
            "with KeypointStore(sys.argv[1]).lock('k') as got:\n"
            "    print(got, flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "store")], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "True"
        with store.lock("k") as got:
            assert not got
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert (tmp_path / "store" / "locks" / "k.lock").exists()  # left behind by SIGKILL
    with store.lock("k") as got:
        assert got


def test_clean_temp_removes_leftovers_but_not_files_being_written(tmp_path: Path) -> None:
    store = KeypointStore(tmp_path / "store")
    key, busy = make_key("c1", "video", {}), make_key("c2", "video", {})
    leftovers = [store.sequence_path(key).with_name(f".{key}.npz.123.tmp"),
                 store.record_path(key).with_name(f".{key}.json.123.tmp")]
    writing = store.sequence_path(busy).with_name(f".{busy}.npz.456.tmp")
    for p in leftovers:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"partial")
    with KeypointStore(tmp_path / "store").lock(busy):  # another writer, mid-write
        writing.parent.mkdir(parents=True, exist_ok=True)
        writing.write_bytes(b"partial")
        assert store.clean_temp() == 2
    assert writing.exists() and not any(p.exists() for p in leftovers)
    with store.lock(busy):  # taking a key's lock cleans that key's leftovers
        assert not writing.exists()
