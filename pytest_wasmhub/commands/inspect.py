"""``wasmhub inspect MODULE``: what in a module breaks the proxy-wasm ABI, and whether a host will load it.

The static checks come first; then, for Envoy and unless ``--static``, the module's start-up runs in the
in-process host under Envoy's start-up restrictions (start function, ``_initialize``/``_start``,
``proxy_on_vm_start``, ``proxy_on_configure``), which catches what no static check sees: a trap or a
``false`` at start, which makes Envoy refuse the module.

Exit status: 0 when no MUST case fails and Envoy will start the module, 1 otherwise, 2 for a usage error
(no such file, bad .wat). ``--json`` prints the inspection in the form of
``pytest_wasmhub/abi/schema/inspection.schema.json`` (``verdict`` and ``refused_by_host`` include the run).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..abi import DEFAULT_HOST, HOST_PROFILES, AbiDataError
from ..abi.inspector import inspect_bytes, read_module_bytes
from ..abi.render import render_text
from ..host.startup import WHAT_RUNS, StartUpRun, run_start_up
from ..kinds import AUTO, KindDecision, decide
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
    parser.add_argument(
        "--static", action="store_true", help="only the static checks: do not run the module's start-up"
    )
    parser.add_argument("--root-id", default="", help="the plugin's root_id for the start-up run")
    parser.add_argument("--vm-id", default="", help="the VM's vm_id for the start-up run")
    parser.add_argument("--config", default="", help="the plugin configuration for the start-up run")
    parser.add_argument("--vm-config", default="", help="the VM configuration for the start-up run")


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
    run = None if args.static or inspection.verdict != "loads" or args.host != "envoy" else _run(data, args)
    verdict = _verdict_line(inspection, run, args)
    # how the module runs, tried in the in-process host as the suite does (only once it starts)
    kinds = _kinds(data, args) if run is not None and not run.refused else None
    # a module's own strings (producers, custom sections) may carry credentials: the reports' rule
    if args.json:
        document = inspection.as_dict()
        if run is not None and run.refused:
            document.update(verdict="refused", refused_by_host=True)
        document["kinds"] = kinds.as_dict() if kinds is not None else None
        print(json.dumps(redact_strings(document), indent=2))
    else:
        lines = render_text(inspection, show_all=args.all).splitlines()
        lines = [f"  {'verdict':<11} {verdict}" if line.startswith("  verdict ") else line for line in lines]
        if kinds is not None:  # what running it showed, beside what its exports suggest
            at = next((i for i, line in enumerate(lines) if line.startswith("  usable as")), len(lines) - 1)
            lines.insert(at + 1, f"  {'runs as':<11} {kinds.describe()}")
        print(redact_text("\n".join(lines)))
    return 1 if inspection.failed_must or (run is not None and run.refused) else 0


def _kinds(data: bytes, args: argparse.Namespace) -> KindDecision:
    options = {
        "root_id": args.root_id, "vm_id": args.vm_id, "plugin_configuration": args.config,
        "vm_configuration": args.vm_config,
    }  # fmt: skip
    return decide(bytes(data), (AUTO,), options)


def _run(data: bytes, args: argparse.Namespace) -> StartUpRun:
    return run_start_up(
        data, root_id=args.root_id, vm_id=args.vm_id, plugin_configuration=args.config,
        vm_configuration=args.vm_config,
    )  # fmt: skip


def _verdict_line(inspection, run: StartUpRun | None, args: argparse.Namespace) -> str:
    """The verdict, saying what was checked statically and what by running."""
    host = inspection.host.display_name
    static = "checked statically: imports, exports, memory, ABI markers, signatures"
    if inspection.verdict == "refused":
        return f"REFUSED: {host} will refuse to load this module ({static})"
    if inspection.verdict == "crashes":
        return f"CRASHES: {host} loads this module, then the whole proxy crashes ({static})"
    if run is None:
        why = "--static" if args.static else f"no start-up run for the {inspection.host.name} profile"
        return f"LOADS: {host} will load this module ({static}; start-up not run: {why})"
    if not run.ran:
        return f"LOADS: {host} will load this module ({static}; start-up not run: {run.reason})"
    ran = f"run in the in-process host: {WHAT_RUNS}"
    if run.refused:
        return f"REFUSED: {run.envoy_words} ({static}; {ran})"
    return f"LOADS: {host} will load this module and start it ({static}; {ran})"
