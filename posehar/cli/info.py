"""posehar info MODEL: what a model bundle is, and its digest (to compare with a trusted one)."""

from __future__ import annotations

import argparse
import json


def register(sub) -> None:
    """Add the ``posehar info`` subcommand."""
    p = sub.add_parser("info", help="show a model bundle's classes, settings and digest",
                       description="Check a model bundle the way loading does (checksums, every value, the "
                                   "weights) and print what it is, with its bundle digest: one sha256 over "
                                   "config.json and the weight files. The digest proves the bundle is the one "
                                   "you expect only when you compare it with a value from a source you trust "
                                   "(--expect-digest); the one in the bundle's own model card proves nothing.")
    p.add_argument("model", help="shipped model name or bundle folder")
    p.add_argument("--expect-digest", metavar="SHA256", help="fail unless the bundle has this digest")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``posehar info``; return the exit status."""
    from ..bundle import bundle_digest, load_model, read_config
    from ..models import resolve_model
    from ..outputs import json_safe

    path = resolve_model(args.model)
    load_model(path, expect_digest=args.expect_digest)  # every check loading does
    config = read_config(path)
    p, fc, t = config["params"], config["feature_config"], config.get("training") or {}
    cv = t.get("cross_validation") or {}
    info = {"model": str(path), "digest": bundle_digest(path), "classes": config["classes"],
            "hands": fc.get("hands"), "layout": fc.get("layout"), "window": p.get("window"), "fps": p.get("fps"),
            "created": config.get("created"), "posehar": (config.get("versions") or {}).get("posehar"),
            "cross_person_accuracy": cv.get("accuracy_mean"),
            "digest_checked": args.expect_digest is not None}
    if args.json:
        print(json.dumps(json_safe(info), indent=2, allow_nan=False))
    else:
        for key, value in info.items():
            print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    return 0
