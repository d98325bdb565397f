"""``wasmhub cases``: list the conformance cases (id, level, area, title; with ``--json`` everything).

The list is what pytest collects from the shared suite, so it always matches what a run executes.
``--markdown`` writes the catalogue users read, ``docs/cases.md``:
``wasmhub cases --markdown > docs/cases.md`` (a test keeps the file equal to this output).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
from typing import Any

from ..cases import ABI_VERSIONS, AREAS, LEVELS, CaseInfo, case_of

NAME = "cases"
HELP = "list the conformance cases: id, level, area and title (--json: with the spec sentence)"


REGENERATE = "wasmhub cases --markdown > docs/cases.md"
_AREA_TITLES = {
    "abi": "abi: the module's binary, read statically",
    "spec": "spec: the package a module is published in",
    "envoy": "envoy: the module in a real Envoy",
    "traffic": "traffic: requests through the module in a real Envoy",
    "isolation": "isolation: a crash stays inside the extension",
    "policy": "policy: what Envoy does after a trap",
    "host": "host: the module in the in-process host",
}
# a reference to the project's own host facts becomes a link (docs/cases.md sits beside host-facts.md)
_HOST_FACT = re.compile(r"docs/host-facts\.md#([a-z0-9-]+)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the cases as a JSON array")
    output.add_argument(
        "--markdown", action="store_true", help=f"print the catalogue of docs/cases.md ({REGENERATE})"
    )
    parser.add_argument("--area", choices=AREAS, help="only the cases of this area")
    parser.add_argument(
        "--level", type=str.upper, choices=LEVELS, help="only the cases of this level (must or should)"
    )


class _CaseCollector:
    """A pytest plugin that keeps the cases of the collected items and any collection error."""

    def __init__(self) -> None:
        self.cases: dict[str, tuple[CaseInfo, list[str]]] = {}
        self.errors: list[str] = []

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        for item in items:
            info = case_of(item)
            if info is not None:
                self.cases.setdefault(info.id, (info, []))[1].append(item.nodeid)

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            last = str(report.longrepr).strip().splitlines()[-1:] or ["collection failed"]
            self.errors.append(f"{report.nodeid or 'conformance'}: {last[0]}")


def discover_cases() -> tuple[list[tuple[CaseInfo, list[str]]], list[str]]:
    """Every case of the shared suite with the tests that implement it, and any collection errors."""
    import pytest

    from ..resources import conformance_dir

    suite = conformance_dir()
    collector = _CaseCollector()
    args = [
        str(suite),
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        # the suite alone: no ini file (and its addopts) from wherever the command runs
        "-c",
        os.devnull,
        "--rootdir",
        str(suite.parent),
    ]
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main(args, plugins=[collector])
    if code not in (0, 5) and not collector.errors:
        lines = [line for line in output.getvalue().strip().splitlines() if line.strip()]
        collector.errors.append(lines[-1] if lines else f"pytest exited with {int(code)}")
    ordered = sorted(collector.cases.values(), key=lambda c: (c[0].area, c[0].level != "MUST", c[0].id))
    return ordered, collector.errors


def run(args: argparse.Namespace) -> int:
    found, errors = discover_cases()
    selected = [
        (info, nodeids)
        for info, nodeids in found
        if (args.area is None or info.area == args.area) and (args.level is None or info.level == args.level)
    ]
    if args.json:
        print(json.dumps([{**info.as_dict(), "tests": nodeids} for info, nodeids in selected], indent=2))
    elif args.markdown:
        if not errors:  # a partial catalogue must not replace docs/cases.md
            print(markdown([info for info, _ in selected]), end="")
    else:
        for info, _ in selected:
            print(f"{info.id:26} {info.level:6} {info.area:9} {info.title}")
        print(f"{len(selected)} cases" + (f" (of {len(found)})" if len(selected) != len(found) else ""))
    for error in errors:
        print(f"wasmhub cases: the suite did not collect cleanly: {error}", file=sys.stderr)
    return 1 if errors else 0


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _reference(text: str) -> str:
    return _HOST_FACT.sub(lambda m: f"[{m.group(0)}](host-facts.md#{m.group(1)})", _cell(text))


def markdown(cases: list[CaseInfo]) -> str:
    """The case catalogue as Markdown: one table per area, each case with its sentence and reference."""
    lines = [
        "# The conformance cases",
        "",
        f"<!-- Generated by `{REGENERATE}` from the cases in conformance/; do not edit by hand. -->",
        "",
        "Every case the suite runs, by area: its stable id, its level (MUST: a host refuses the module or "
        "isolation breaks; SHOULD: portable practice), what it enforces, and where that comes from. "
        "Facts measured on Envoy are in [host-facts.md](host-facts.md). "
        f"{len(cases)} cases.",
    ]
    for area in AREAS:
        in_area = [info for info in cases if info.area == area]
        if not in_area:
            continue
        lines += ["", f"## {_AREA_TITLES.get(area, area)}", ""]
        lines += ["| id | level | case | what it enforces | reference |", "|---|---|---|---|---|"]
        for info in in_area:
            anchor = f'<a id="{info.id.lower()}"></a>`{info.id}`'
            versions = "" if info.abi_versions == ABI_VERSIONS else f" (ABI {', '.join(info.abi_versions)})"
            lines.append(
                f"| {anchor} | {info.level} | {_cell(info.title)}{versions} | {_cell(info.spec)} | "
                f"{_reference(info.reference) or '-'} |"
            )
    return "\n".join(lines) + "\n"
