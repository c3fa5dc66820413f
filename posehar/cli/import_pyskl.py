"""``posehar import-pyskl IN.pkl STORE --i-trust-this-file``: PYSKL annotations into a keypoint store."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import-pyskl",
        help="import a PYSKL/MMAction2 skeleton annotation pickle into a keypoint store (trusted files only)",
        description=(
            "Read IN.pkl (PYSKL format: 33 or 75 MediaPipe joints in pixels, or 20 Kinect v1 joints) and "
            "save each annotation's best-scored person as a sequence in STORE. A pickle can run any code "
            "when it is loaded, so this needs --i-trust-this-file."
        ),
    )
    p.add_argument("pickle", help="PYSKL annotation pickle")
    p.add_argument("store", help="keypoint store folder (created if missing)")
    p.add_argument("--i-trust-this-file", action="store_true",
                   help="confirm that IN.pkl comes from you or a source you trust")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.i_trust_this_file:
        print(
            f"posehar: error: not loading {args.pickle}: loading a pickle runs whatever code it contains, "
            "so a malicious file could take over this account. Pass --i-trust-this-file if you made "
            "it or trust its source.",
            file=sys.stderr,
        )
        return 2
    from ..interop.pyskl import import_pyskl
    from ..outputs import Output, check_outputs

    check_outputs([Output(args.store, "STORE", folder=True)], inputs=[args.pickle])

    keys = import_pyskl(args.pickle, args.store)
    print(f"imported {len(keys)} sequences into {args.store}; train on them with: "
          f"posehar train {args.store} -o MODEL")
    return 0
