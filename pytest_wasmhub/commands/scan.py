"""``wasmhub scan MANIFEST --out DIR``: run the suite on every module of a manifest, on every Envoy release.

Each entry x release is its own pytest process with a time limit; results land in DIR by module digest,
and a rerun skips what is done. ``--shard I/N`` (or ``--shards N`` with JOB_COMPLETION_INDEX) runs one
worker's part, for a Kubernetes Indexed Job or a CI matrix. Exit code: 0 when every run of the shard
has a result (whatever the verdicts: ``wasmhub merge`` reads them), 1 when interrupted, 2 for bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

NAME = "scan"
HELP = "run the conformance suite on every module of a manifest x Envoy release, resumably, by shard"
EXIT_INTERRUPTED = 1
EXIT_BAD_INPUT = 2
DEFAULT_TIMEOUT = 600.0  # seconds; the library's default too (pytest_wasmhub.scan.engine)


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"WASMHUB_SCAN_{name}", default)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", metavar="MANIFEST", help="the manifest (.json, .yaml or .yml)")
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="where the reports go (and are resumed from)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(_env("JOBS", "1") or 1),
        metavar="N",
        help="pytest processes at a time on this machine (default 1; env WASMHUB_SCAN_JOBS)",
    )
    parser.add_argument(
        "--shard",
        default=_env("SHARD"),
        metavar="I/N",
        help="run shard I of N, I from 0 (env WASMHUB_SCAN_SHARD)",
    )
    parser.add_argument(
        "--shards",
        type=int,
        default=int(_env("SHARDS") or 0) or None,
        metavar="N",
        help="run shard JOB_COMPLETION_INDEX of N, as a Kubernetes Indexed Job pod (env WASMHUB_SCAN_SHARDS)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=float(_env("TIMEOUT", str(DEFAULT_TIMEOUT)) or DEFAULT_TIMEOUT),
        metavar="SECONDS",
        help=f"time limit of one entry on one release (default {DEFAULT_TIMEOUT:g}; env WASMHUB_SCAN_TIMEOUT)",
    )
    parser.add_argument(
        "--retry-errors",
        action="store_true",
        default=(_env("RETRY_ERRORS", "") or "").lower() in ("1", "true", "yes", "on"),
        help="redo runs that timed out, crashed or were refused (by default they count as done)",
    )
    parser.add_argument(
        "--envoy-image",
        default=os.environ.get("WASMHUB_ENVOY_IMAGE"),
        metavar="IMAGE",
        help="run every Envoy in a container of this image (its Envoy version replaces envoy_versions)",
    )
    parser.add_argument("--envoy-cache", default=None, metavar="DIR", help="where Envoy releases are kept")
    parser.add_argument("--envoy-offline", action="store_true", help="use only Envoy releases in the cache")


def run(args: argparse.Namespace) -> int:
    # imported here: `wasmhub --help` and the other commands do not pay for the scan's imports
    from ..scan import ManifestError, ScanError, ScanOptions, ShardError, load_manifest, resolve_shard, scan
    from ..scan.runner import Backend

    try:
        manifest = load_manifest(args.manifest)
        shard = resolve_shard(args.shard, args.shards)
        if args.jobs < 1:
            raise ShardError(f"--jobs {args.jobs}: must be at least 1")
        if args.timeout <= 0:
            raise ShardError(f"--timeout {args.timeout:g}: must be greater than 0")
        options = ScanOptions(
            jobs=args.jobs,
            shard=shard,
            timeout=args.timeout,
            retry_errors=args.retry_errors,
            backend=Backend(args.envoy_image, args.envoy_cache, args.envoy_offline),
        )
        result = scan(manifest, Path(args.out), options)
    except (ManifestError, ShardError, ScanError) as exc:
        print(f"wasmhub scan: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.statuses.items())) or "nothing run"
    print(f"wasmhub scan: shard {shard}: {result.units} runs, {result.skipped} already done, {counts}")
    if result.interrupted:
        print("wasmhub scan: interrupted; run the same command again to finish", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0
