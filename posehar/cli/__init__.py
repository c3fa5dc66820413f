"""The ``posehar`` command line: one module per subcommand, each with ``register`` and ``run``.

Errors posehar raises on purpose print as one line (``posehar: error: ...``) with exit
code 2, without a traceback; set POSEHAR_DEBUG=1 to see the traceback. Its warnings print as one
line too (``posehar: warning: ...``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from pathlib import Path

from ..errors import PoseharError

# Subcommand name -> module under posehar.cli (each defines register(subparsers) and run(args)).
COMMANDS: dict[str, str] = {
    "predict": "predict",
    "live": "live",
    "pose": "pose",
    "overlay": "overlay",
    "train": "train",
    "evaluate": "evaluate",
    "personalize": "personalize",
    "extract": "extract",
    "export-pyskl": "export_pyskl",
    "import-pyskl": "import_pyskl",
    "info": "info",
}


def build_parser() -> argparse.ArgumentParser:
    """The ``posehar`` argument parser, with every subcommand in ``COMMANDS`` registered."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="posehar",
        description="Pose-based human action recognition: video -> MediaPipe keypoints -> GRU -> logistic regression.",
    )
    parser.add_argument("--version", action="version", version=f"posehar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS.values():
        importlib.import_module(f"{__name__}.{module}").register(sub)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """posehar's own warnings as one ``posehar: warning:`` line, as its errors are; others as Python prints them."""
    if Path(filename).resolve().is_relative_to(Path(__file__).resolve().parents[1]):
        print(f"posehar: warning: {message}", file=sys.stderr)
    else:
        _python_warning(message, category, filename, lineno, file, line)


_python_warning = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    """Run ``posehar`` on ``argv`` (default ``sys.argv[1:]``); return the exit status (2 on an error, 130 on Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return int(args.run(args) or 0)
    except (PoseharError, OSError) as exc:  # OSError: a full disk, a lost mount, permissions, ...
        if os.environ.get("POSEHAR_DEBUG"):
            raise
        print(f"posehar: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.command == "extract":
            print("posehar: interrupted; finished work is kept, rerun the same command to resume", file=sys.stderr)
        else:
            print("posehar: interrupted; nothing half-written was left (an earlier output of the same name is "
                  "kept), rerun the command to start again", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
