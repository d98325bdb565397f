"""``wasmhub attest oci://HOST/REPO:TAG --report report.json``: attach a conformance report to the image.

The report is pushed as an OCI artifact whose ``subject`` is the image's manifest (OCI 1.1 referrers,
or the ``sha256-<digest>`` tag on registries without the referrers API). A report about another
module (its sha256) or another manifest is refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "attest"
HELP = "attach a conformance report to an image in a registry (OCI referrers), refusing one for other bytes"
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", metavar="oci://HOST/REPO:TAG", help="the image the report is about")
    parser.add_argument(
        "--report", required=True, action="append", metavar="PATH", help="report.json (repeatable)"
    )
    parser.add_argument("--insecure", action="store_true", help="plain HTTP to a registry off loopback")


def run(args: argparse.Namespace) -> int:
    from ..oci.model import PackageError
    from ..scan.attest import AttestationError, attest

    for report in args.report:
        try:
            image, pushed = attest(args.reference, Path(report), insecure=args.insecure or None)
        except AttestationError as exc:
            print(f"wasmhub attest: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        except (PackageError, OSError) as exc:
            print(f"wasmhub attest: {str(exc).splitlines()[0]}", file=sys.stderr)
            return EXIT_BAD_INPUT
        how = "referrers API" if pushed.referrers_api else f"tag {pushed.fallback_tag}"
        print(f"attached {report} to {image.manifest.digest} as {pushed.digest} ({how})")
    return 0
