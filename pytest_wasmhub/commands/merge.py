"""``wasmhub merge DIR... --out SUMMARY``: one matrix (module x Envoy release) from scan directories.

Writes SUMMARY as JSON (``pytest_wasmhub/scan/schema/summary.schema.json``) and an HTML page beside it.
``--baseline DIR`` compares with an earlier scan and lists only what changed, regressions first;
``--fail-on-regression`` then exits 1 when there is one (a gate for an Envoy or suite upgrade).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "merge"
HELP = "join scan results into one module x Envoy matrix (JSON + HTML); --baseline lists what changed"
EXIT_REGRESSION = 1
EXIT_BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directories", nargs="+", metavar="DIR", help="scan output directories (shards)")
    parser.add_argument("--out", required=True, metavar="SUMMARY", help="the summary's path (.json)")
    parser.add_argument(
        "--baseline", action="append", metavar="DIR", help="the baseline scan's directories (repeatable)"
    )
    parser.add_argument(
        "--fail-on-regression", action="store_true", help="with --baseline: exit 1 if anything regressed"
    )


def html_path(summary: Path) -> Path:
    return (
        summary.with_suffix(".html")
        if summary.suffix == ".json"
        else summary.with_name(summary.name + ".html")
    )


def run(args: argparse.Namespace) -> int:
    from ..scan.html import render_html
    from ..scan.merge import MergeError, summarize
    from ..scan.records import write_atomically

    out = Path(args.out)
    try:
        summary = summarize([Path(d) for d in args.directories], [Path(d) for d in args.baseline or []])
    except MergeError as exc:
        print(f"wasmhub merge: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    write_atomically(out, json.dumps(summary, indent=2) + "\n")
    page = html_path(out)
    write_atomically(page, render_html(summary, page))
    comparison = summary["comparison"]
    if comparison is None:
        for version, counts in summary["totals"].items():
            text = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            print(f"Envoy {version}: {text}")
        print(f"{len(summary['rows'])} modules; summary {out}, page {page}")
        return 0
    for change in comparison["changes"]:
        failures = ", ".join(change["new_must_failures"])
        print(
            f"{change['kind']:10} {change['name']} (Envoy {change['baseline_envoy']} -> "
            f"{change['candidate_envoy']}): {change['baseline']} -> {change['candidate']}"
            + (f"; new MUST failures: {failures}" if failures else "")
        )
    counts = ", ".join(f"{n} {kind}" for kind, n in comparison["counts"].items() if n) or "no change"
    print(f"{counts}; summary {out}, page {page}")
    regressed = comparison["counts"]["regression"] > 0
    return EXIT_REGRESSION if regressed and args.fail_on_regression else 0
