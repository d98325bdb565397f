"""``wasmhub cases``: list the conformance cases (id, level, area, title; with ``--json`` everything).

The list is what pytest collects from the shared suite, so it always matches what a run executes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from typing import Any

from ..cases import AREAS, LEVELS, CaseInfo, case_of

NAME = "cases"
HELP = "list the conformance cases: id, level, area and title (--json: with the spec sentence)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the cases as a JSON array")
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
    else:
        for info, _ in selected:
            print(f"{info.id:26} {info.level:6} {info.area:9} {info.title}")
        print(f"{len(selected)} cases" + (f" (of {len(found)})" if len(selected) != len(found) else ""))
    for error in errors:
        print(f"wasmhub cases: the suite did not collect cleanly: {error}", file=sys.stderr)
    return 1 if errors else 0
