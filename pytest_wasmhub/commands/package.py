"""``wasmhub package``: package a module the way authors publish it, check it, write or push it.

The package is checked with the same functions as the spec conformance cases before anything is
written; a package that fails a MUST case is neither written nor pushed (exit 1).
Exit codes: 0 done, 1 the package fails a MUST case, 2 bad input, 3 registry error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ..module import ModuleError, load_module
from ..oci import checks
from ..oci.layout import write_archive, write_layout
from ..oci.model import Package, PackageError, RegistryError
from ..oci.package import build_package
from ..oci.registry import RegistryClient, parse_reference
from ..oci.variants import VARIANTS

NAME = "package"
HELP = "package a proxy-wasm module as an OCI image (oci, compat or cncf variant) and check it"

EXIT_CHECKS_FAILED, EXIT_BAD_INPUT, EXIT_REGISTRY = 1, 2, 3
STATUS_LABELS = {"pass": "PASS", "n/a": "N/A ", "fail": "FAIL"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("module", metavar="MODULE", help="the module: .wasm, .wat, or a package to repackage")
    parser.add_argument("--variant", choices=VARIANTS, default="oci", help="packaging variant (default: oci)")
    parser.add_argument(
        "--root-id",
        dest="root_ids",
        action="append",
        default=[],
        metavar="ID",
        help="a root id the module registers (repeat for several; required for oci and compat)",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "-o", "--output", metavar="DIR|FILE.tar", help="write an OCI image layout (or a .tar of one)"
    )
    target.add_argument("--push", metavar="oci://HOST/REPO:TAG", help="push to a registry")
    parser.add_argument(
        "--tag", default="latest", help="tag recorded in the layout's index.json (default: latest)"
    )
    parser.add_argument(
        "--insecure-registry",
        action="store_true",
        default=None,
        help="allow plain HTTP to a non-loopback registry (loopback always may)",
    )
    parser.add_argument("--no-envoy", action="store_true", help="skip starting Envoy once per root id")
    parser.add_argument("--envoy-binary", metavar="PATH", help="Envoy binary for the root-id check")


def run(args: argparse.Namespace) -> int:
    try:
        reference = parse_reference(args.push) if args.push else None
        with tempfile.TemporaryDirectory(prefix="wasmhub-package-") as scratch:
            module = load_module(args.module, Path(scratch))
            package = build_package(module, args.variant, args.root_ids)
            envoy_workdir = None if args.no_envoy else Path(scratch) / "envoy"
            outcomes = checks.run_checks(package, envoy_workdir=envoy_workdir, envoy_binary=args.envoy_binary)
    except (ModuleError, PackageError) as exc:
        return _error(str(exc), EXIT_BAD_INPUT)
    _print_report(args, package, outcomes)
    if checks.failed(outcomes, checks.MUST):
        return _error("the package fails a MUST case; nothing was written", EXIT_CHECKS_FAILED)
    try:
        if reference is not None:
            client = RegistryClient(reference.host, insecure=args.insecure_registry)
            digest = client.push(package, reference)
            print(f"pushed {reference} ({digest})")
        else:
            _write(package, Path(args.output), args.tag)
    except RegistryError as exc:
        return _error(str(exc), EXIT_REGISTRY)
    except PackageError as exc:
        return _error(str(exc), EXIT_BAD_INPUT)
    return 0


def _write(package: Package, output: Path, tag: str) -> None:
    if output.suffix == ".tar":
        write_archive(package, output, tag)
        print(f"wrote {output} (OCI image layout archive, tag {tag})")
    else:
        write_layout(package, output, tag)
        print(f"wrote {output} (OCI image layout, tag {tag})")


def _print_report(args: argparse.Namespace, package: Package, outcomes: list[checks.Outcome]) -> None:
    facts = checks.describe(package)
    print(f"packaged {args.module} as the {facts['variant']} variant")
    print(f"  manifest {facts['manifest_digest']}  (the sha256 Istio and Envoy Gateway take for an image)")
    print(f"  module   {facts['module_sha256']}  (Envoy RemoteDataSource.sha256)")
    for outcome in outcomes:
        label = STATUS_LABELS[outcome.status]
        if outcome.status == "fail" and outcome.check.level == checks.SHOULD:
            label = "WARN"
        print(f"  {label} {outcome.check.case_id} {outcome.check.title}")
        if outcome.status == "fail":
            for message in outcome.messages:
                print(f"       {message}")


def _error(message: str, code: int) -> int:
    print(f"wasmhub package: error: {message}", file=sys.stderr)
    return code
