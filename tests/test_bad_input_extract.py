"""Bad input, ``posehar extract`` (issue 20, item 11): a symlink loop in a class folder is one failed
file, a garbled store file is a one-line "store damaged at PATH" error, an unreachable scheduler fails
at once and creates no store, a garbled sequence in the store is extracted again, and a video
rewritten with its old size and mtime is not skipped with stale keypoints."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from posehar.cli import main
from posehar.store import KeypointStore

from test_bad_input import cli_error

COMMON = ["--keypoints", "body", "--max-frames", "3", "--quiet"]


def raw_clip(videos: Path, name: str, out: Path) -> Path:
    """Three frames of a real clip, 320x240, uncompressed: every such clip has the same size."""
    from posehar.video import VideoReader

    frames = [cv2.resize(f, (320, 240)) for _, f in VideoReader(videos / f"{name}.mp4", max_frames=3)]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"IYUV"), 25, (320, 240))
    for f in frames:
        writer.write(f)
    writer.release()
    return out


@pytest.fixture(scope="module")
def raw(videos: Path, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("raw")
    return {n: raw_clip(videos, n, folder / f"{n}.avi") for n in ("seed_test_6", "seed_test_7", "seed_test_9")}


@pytest.fixture(scope="module")
def extracted(raw: dict[str, Path], tmp_path_factory) -> tuple[Path, Path]:
    """(custom dataset root, store) after one extract of its two clips."""
    base = tmp_path_factory.mktemp("extracted")
    root = base / "data"
    for cls, name in (("kick", "seed_test_6"), ("wave", "seed_test_9")):
        (root / cls).mkdir(parents=True)
        shutil.copy(raw[name], root / cls / f"{cls}.avi")
    assert main(["extract", "custom", str(root), "--out", str(base / "store"), *COMMON]) == 0
    return root, base / "store"


@pytest.fixture
def copy(extracted: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of ``extracted`` (the data keeps its mtimes)."""
    root, store = extracted
    return Path(shutil.copytree(root, tmp_path / "data")), Path(shutil.copytree(store, tmp_path / "store"))


def extract(root: Path, store: Path, *more: str) -> int:
    return main(["extract", "custom", str(root), "--out", str(store), *COMMON, *more])


def test_symlink_loop_in_a_class_folder_is_one_failed_file(capsys, raw, tmp_path):
    root = tmp_path / "data"
    (root / "kick").mkdir(parents=True)
    (root / "wave").mkdir()
    shutil.copy(raw["seed_test_6"], root / "kick" / "a.avi")
    shutil.copy(raw["seed_test_9"], root / "wave" / "b.avi")
    os.symlink("self.mp4", root / "wave" / "self.mp4")
    os.symlink("two.mp4", root / "wave" / "one.mp4")
    os.symlink("one.mp4", root / "wave" / "two.mp4")
    os.symlink("loopdir", root / "wave" / "loopdir")  # not a clip: ignored, stops nothing
    assert extract(root, tmp_path / "store") == 1  # the two clips are extracted; the three loops are errors
    out = capsys.readouterr().out
    assert "done 2, skipped 0 (already in store), failed 3" in out
    for name in ("self.mp4", "one.mp4", "two.mp4"):
        assert f"failed: {root / 'wave' / name}: cannot read input: [Errno 40] Too many levels of symbolic links" in out


@pytest.mark.parametrize("content", [
    os.urandom(64),
    b"\xff\xfe{\"format\": 1}",
    b"[\"posehar-keypoint-store\", 1]",
    b"null",
    b"{\"format\": \"posehar-keypoint-store\", ",
], ids=["random", "not-utf8", "list", "null", "truncated"])
def test_garbled_store_json(capsys, copy, content):
    root, store = copy
    (store / "store.json").write_bytes(content)
    line = cli_error(capsys, ["extract", "custom", str(root), "--out", str(store), *COMMON])
    assert line.startswith(f"posehar: error: store damaged at {store / 'store.json'}: ")


@pytest.mark.parametrize("content", [
    os.urandom(64),
    b"\xff\xfe{}",
    b"[1, 2]",
    b"{\"status\": \"ok\"}",
], ids=["random", "not-utf8", "list", "no-key"])
def test_garbled_record(capsys, copy, content):
    root, store = copy
    record = sorted((store / "records").glob("*.json"))[0]
    record.write_bytes(content)
    line = cli_error(capsys, ["extract", "custom", str(root), "--out", str(store), *COMMON])
    assert line.startswith(f"posehar: error: store damaged at {record}: ") and "delete it to redo" in line
    record.unlink()  # as the message says: then that sample is done again
    assert extract(root, store) == 0
    assert "done 1, skipped 1" in capsys.readouterr().out


def test_garbled_hash_index_only_costs_rehashing(capsys, copy):
    root, store = copy
    (store / "hash_index.json").write_bytes(b"\xff" + os.urandom(32))
    assert extract(root, store) == 0
    assert "done 0, skipped 2" in capsys.readouterr().out


def test_unreachable_scheduler_fails_at_once_and_creates_no_store(capsys, extracted, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    line = cli_error(capsys, ["extract", "custom", str(extracted[0]), "--out", str(tmp_path / "store"),
                              "--scheduler", f"tcp://127.0.0.1:{port}", *COMMON])
    assert time.monotonic() - t0 < 10
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in line
    assert not (tmp_path / "store").exists()


def test_scheduler_that_is_not_an_address(capsys, extracted, tmp_path):
    line = cli_error(capsys, ["extract", "custom", str(extracted[0]), "--out", str(tmp_path / "store"),
                              "--scheduler", "tcp://localhost", *COMMON])
    assert "tcp://HOST:PORT" in line and not (tmp_path / "store").exists()


def _garble_random(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size // 2))


def _garble_truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-30])


def _garble_tail_same_size(path: Path) -> None:  # the zip directory overwritten, size kept
    data = path.read_bytes()
    path.write_bytes(data[:-60] + b"\0" * 60)


def _garble_other_sequence(path: Path) -> None:  # a valid npz of another size put in its place
    from posehar.sequence import KeypointSequence

    KeypointSequence(pose=np.zeros((1, 33, 4), np.float32), fps=25.0, frame_size=(320, 240)).save(path)


@pytest.mark.parametrize("garble", [_garble_random, _garble_truncated, _garble_tail_same_size, _garble_other_sequence],
                         ids=["random", "truncated", "tail-same-size", "other-sequence"])
def test_garbled_sequence_in_the_store_is_extracted_again(capsys, copy, garble):
    root, store = copy
    ks = KeypointStore(store)
    key = sorted(r["key"] for r in ks.records())[0]
    before = ks.load(key)
    garble(ks.sequence_path(key))
    assert extract(root, store) == 0
    assert "done 1, skipped 1" in capsys.readouterr().out
    again = KeypointStore(store).load(key)
    np.testing.assert_array_equal(again.pose, before.pose)
    assert extract(root, store) == 0
    assert "done 0, skipped 2" in capsys.readouterr().out


def test_video_rewritten_with_the_same_size_and_mtime_is_not_skipped(capsys, copy, raw):
    from posehar.datasets import Sample
    from posehar.pose import PoseSettings

    root, store = copy
    clip = root / "kick" / "kick.avi"
    sample, settings = Sample(clip, "kick", "kick", "video"), PoseSettings(keypoints="body", max_frames=3)
    assert extract(root, store) == 0  # the hash index now holds the copy's paths
    assert "done 0, skipped 2" in capsys.readouterr().out
    old = KeypointStore(store).get(sample, settings)
    st = clip.stat()
    new = raw["seed_test_7"].read_bytes()
    assert len(new) == st.st_size and new != clip.read_bytes()
    with open(clip, "r+b") as fh:  # rewritten in place (same inode), then the old mtime put back
        fh.write(new)
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (clip.stat().st_size, clip.stat().st_mtime_ns, clip.stat().st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
    assert extract(root, store) == 0
    assert "done 1, skipped 1" in capsys.readouterr().out
    now = KeypointStore(store).get(sample, settings)
    assert now is not None and not np.array_equal(now.pose, old.pose)


def test_hash_cache_stays_cheap(tmp_path):
    """A cached content hash costs a stat, no reading: 500 cached lookups well under a second."""
    store = KeypointStore(tmp_path / "store")
    files = []
    for i in range(500):
        f = tmp_path / "files" / f"{i}.mp4"
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(os.urandom(256) * 64)
        files.append(f)
    first = [store.content_hash(f) for f in files]
    store.flush_index()
    import posehar.store as store_module

    reread = KeypointStore(tmp_path / "store")
    real, store_module.file_sha256 = store_module.file_sha256, None  # any hashing would fail
    try:
        t0 = time.perf_counter()
        assert [reread.content_hash(f) for f in files] == first
        assert time.perf_counter() - t0 < 1.0
    finally:
        store_module.file_sha256 = real


@pytest.mark.parametrize("more, says", [
    (["--model-complexity", "5"], "model_complexity must be 0, 1 or 2, got 5"),
    (["--frames-fps", "0"], "frames_fps must be a frame rate within 0.1-1000, got 0.0"),
    (["--frames-fps", "nan"], "frames_fps must be a frame rate within 0.1-1000, got nan"),
])
def test_settings_no_sample_could_use_fail_at_once_and_record_no_failures(capsys, extracted, tmp_path, more, says):
    """Not one failure per sample, recorded so that a rerun with the settings fixed would skip them."""
    line = cli_error(capsys, ["extract", "custom", str(extracted[0]), "--out", str(tmp_path / "store"), *COMMON, *more])
    assert says in line and not (tmp_path / "store").exists()


def test_split_must_be_a_positive_number(capsys, extracted, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["extract", "custom", str(extracted[0]), "--out", str(tmp_path / "store"), "--split", "0", *COMMON])
    assert exit_.value.code == 2 and "--split" in capsys.readouterr().err
