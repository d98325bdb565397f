"""``wasmhub inspect MODULE``: what in a module breaks the proxy-wasm ABI, and whether a host will load it.

Exit status: 0 when no MUST case fails, 1 when one does, 2 for a usage error (no such file, bad .wat).
``--json`` prints the inspection in the form of ``pytest_wasmhub/abi/schema/inspection.schema.json``.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..abi import DEFAULT_HOST, HOST_PROFILES, AbiDataError
from ..abi.inspector import inspect_bytes, read_module_bytes
from ..abi.render import render_text
from ..module import ModuleError
from ..report.redact import redact_strings, redact_text

NAME = "inspect"
HELP = "check a module against the proxy-wasm ABI and predict whether a host loads it (no proxy needed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("module", metavar="MODULE", help="a .wasm file or a .wat source")
    parser.add_argument("--json", action="store_true", help="print the inspection as JSON")
    parser.add_argument(
        "--host",
        choices=HOST_PROFILES,
        default=DEFAULT_HOST,
        help=f"the host profile to judge for (default: {DEFAULT_HOST})",
    )
    parser.add_argument(
        "--envoy-version",
        metavar="X.Y.Z",
        help="judge for this Envoy release (older ones link fewer WASI functions; default: the newest)",
    )
    parser.add_argument("--all", action="store_true", help="also list the cases that pass or do not apply")


def run(args: argparse.Namespace) -> int:
    try:
        data = read_module_bytes(args.module)
    except ModuleError as exc:
        print(f"wasmhub inspect: {exc}", file=sys.stderr)
        return 2
    try:
        inspection = inspect_bytes(data, args.host, name=args.module, envoy_version=args.envoy_version)
    except AbiDataError as exc:
        print(f"wasmhub inspect: --envoy-version: {exc}", file=sys.stderr)
        return 2
    # a module's own strings (producers, custom sections) may carry credentials: the reports' rule
    if args.json:
        print(json.dumps(redact_strings(inspection.as_dict()), indent=2))
    else:
        print(redact_text(render_text(inspection, show_all=args.all)))
    return 1 if inspection.failed_must else 0
