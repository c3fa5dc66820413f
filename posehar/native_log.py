"""Keep MediaPipe's C++ log chatter off the terminal.

MediaPipe 0.10.21 writes INFO and WARNING lines straight to the process's stderr (file
descriptor 2) from C++ when a graph starts ("Created TensorFlow Lite XNNPACK delegate",
"Feedback manager requires a model with a single signature ..."). Neither ``GLOG_minloglevel``
nor ``TF_CPP_MIN_LOG_LEVEL`` silences them: they are absl log lines written before
``absl::InitializeLog()``, which nothing in the Python API calls. :class:`NativeLogFilter` routes
file descriptor 2 to a temporary file while MediaPipe runs and then passes on every line that
is not such chatter, so errors still reach the terminal. ``POSEHAR_DEBUG=1`` turns it off.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from contextlib import contextmanager
from typing import Iterator

# absl/glog INFO and WARNING lines ("I0000 00:00:..." / "W0000 ..."), TFLite's "INFO: ..." and
# absl's banner about InitializeLog. Errors (E..., F...) and anything else are passed on.
_CHATTER = re.compile(rb"^(?:[IW]\d{4} \d|INFO: |WARNING: All log messages before absl::InitializeLog\(\))")
_LOCK = threading.Lock()  # file descriptor 2 is per process: one redirection at a time


def is_chatter(line: bytes) -> bool:
    """True for an informational MediaPipe/TFLite/absl log line."""
    return bool(_CHATTER.match(line))


class NativeLogFilter:
    """``with log_filter.quiet(): ...`` runs native code with its INFO/WARNING stderr lines removed."""

    def __init__(self) -> None:
        self._buffer = None if os.environ.get("POSEHAR_DEBUG") else tempfile.TemporaryFile(buffering=0)

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Run the block with stderr captured, then pass on its lines that are not chatter (no-op when off)."""
        if self._buffer is None:
            yield
            return
        with _LOCK:
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(self._buffer.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                self._pass_on_the_rest()

    def _pass_on_the_rest(self) -> None:
        buf = self._buffer
        if buf.tell() == 0:
            return
        buf.seek(0)
        kept = b"".join(line for line in buf.read().splitlines(keepends=True) if not is_chatter(line))
        buf.seek(0)
        buf.truncate()
        if kept:
            os.write(2, kept)

    def close(self) -> None:
        """Close the capture file; later :meth:`quiet` blocks leave stderr as it is."""
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None
