"""``wasmhub verify oci://HOST/REPO:TAG [--envoy 1.40] [--min-level must]``: gate a deploy on attached reports.

Finds the conformance reports attached to the image, checks each names this manifest digest and
this module's sha256, and exits 0 only if the verdict holds on every asked Envoy release (``1.40``
matches any 1.40.x; default: every release a report covers). ``--min-level must`` asks every MUST
case to be met, ``should`` every MUST and SHOULD case. Exit 1: does not hold, or refused (a tampered
or mismatched report, one line); 2: the image or registry cannot be read.
"""

from __future__ import annotations

import argparse
import sys

NAME = "verify"
HELP = "check the conformance reports attached to an image: exit 0 only if the verdict holds"
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
LEVELS = ("must", "should")  # as pytest_wasmhub.scan.attest.LEVELS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", metavar="oci://HOST/REPO:TAG", help="the image to check")
    parser.add_argument(
        "--envoy",
        action="append",
        metavar="VERSION",
        help="an Envoy release the verdict must hold on (repeatable)",
    )
    parser.add_argument("--min-level", choices=LEVELS, default="must", help="must (default) or should")
    parser.add_argument("--insecure", action="store_true", help="plain HTTP to a registry off loopback")


def run(args: argparse.Namespace) -> int:
    from ..oci.model import PackageError
    from ..scan.attest import AttestationError, verify

    envoy = [v.strip() for item in args.envoy or [] for v in item.split(",") if v.strip()] or None
    try:
        result = verify(args.reference, envoy, args.min_level, insecure=args.insecure or None)
    except AttestationError as exc:
        print(f"wasmhub verify: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except PackageError as exc:
        print(f"wasmhub verify: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for line in result.lines:
        print(f"{args.reference}: {line}")
    verdict = "holds" if result.holds else "does not hold"
    print(
        f"{args.reference} ({result.image.manifest.digest}): the verdict {verdict} at level {args.min_level}"
    )
    return 0 if result.holds else EXIT_FAILED
