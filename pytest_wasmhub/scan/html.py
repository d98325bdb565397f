"""The summary as one self-contained HTML page: the matrix, or with a baseline the list of changes."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

COLOURS = {
    "conformant": "#1a7f37",
    "conformant_with_warnings": "#9a6700",
    "not_conformant": "#cf222e",
    "regression": "#cf222e",
    "fixed": "#1a7f37",
}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #1f2328; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; }
th { background: #f6f8fa; } .s { font-weight: 600; } .f { font-size: 85%; color: #57606a; }
code { font-size: 85%; }
"""


def render_html(summary: dict[str, Any], path: Path) -> str:
    base = path.parent
    title = "pytest-wasmhub scan" + (": changes against the baseline" if summary["comparison"] else "")
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>{escape(title)}</title><style>{STYLE}</style>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='f'>{escape(summary['created'])}; from {escape(', '.join(summary['sources']))}</p>",
    ]
    if summary["comparison"]:
        parts.append(_changes(summary, base))
    else:
        parts.append(_totals(summary))
        parts.append(_matrix(summary, base))
    return "\n".join(parts) + "\n"


def _status(status: str | None) -> str:
    if status is None:
        return "<span class='f'>absent</span>"
    colour = COLOURS.get(status, "#6e7781")
    return f"<span class='s' style='color:{colour}'>{escape(status.replace('_', ' '))}</span>"


def _linked(report: str | None, base: Path, inner: str) -> str:
    """``inner`` (HTML) as a link to the run's HTML report, when there is one."""
    if not report:
        return inner
    html_report = Path(report).with_suffix(".html")
    href = os.path.relpath(html_report if html_report.exists() else report, base)
    return f"<a href='{escape(href)}'>{inner}</a>"


def _totals(summary: dict[str, Any]) -> str:
    lines = []
    for version, counts in summary["totals"].items():
        text = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items()))
        lines.append(f"<li>Envoy {escape(version)}: {escape(text)}</li>")
    return f"<ul>{''.join(lines)}</ul>"


def _matrix(summary: dict[str, Any], base: Path) -> str:
    versions = summary["envoy_versions"]
    head = "".join(f"<th>Envoy {escape(v)}</th>" for v in versions)
    rows = []
    for row in summary["rows"]:
        cells = []
        for version in versions:
            cell = row["cells"].get(version)
            if cell is None:
                cells.append("<td class='f'>not run</td>")
                continue
            failures = ", ".join(cell["must_failures"])
            detail = f"<div class='f'>MUST: {escape(failures)}</div>" if failures else ""
            if cell["message"]:
                detail += f"<div class='f'>{escape(cell['message'])}</div>"
            cells.append(f"<td>{_linked(cell['report'], base, _status(cell['status']))}{detail}</td>")
        sha = row["module_sha256"] or ""
        rows.append(
            f"<tr><td>{escape(row['name'])}<div class='f'><code>{escape(sha[:16])}</code></div></td>"
            + "".join(cells)
            + "</tr>"
        )
    return f"<table><tr><th>module</th>{head}</tr>{''.join(rows)}</table>"


def _changes(summary: dict[str, Any], base: Path) -> str:
    comparison = summary["comparison"]
    counts = ", ".join(f"{n} {kind}" for kind, n in comparison["counts"].items() if n) or "no change"
    pairs = ", ".join(f"{b} → {c}" for b, c in comparison["pairs"])
    parts = [f"<p>Envoy {escape(pairs)}: {escape(counts)}</p>"]
    if not comparison["changes"]:
        return "".join(parts)
    rows = []
    for change in comparison["changes"]:
        failures = ", ".join(change["new_must_failures"])
        rows.append(
            "<tr>"
            f"<td>{_status(change['kind'])}</td><td>{escape(change['name'])}</td>"
            f"<td>{escape(change['baseline_envoy'])} → {escape(change['candidate_envoy'])}</td>"
            f"<td>{_status(change['baseline'])}</td>"
            f"<td>{_linked(change['candidate_report'], base, _status(change['candidate']))}</td>"
            f"<td class='f'>{escape(failures)}</td></tr>"
        )
    parts.append(
        "<table><tr><th>change</th><th>module</th><th>Envoy</th><th>baseline</th><th>candidate</th>"
        f"<th>new MUST failures</th></tr>{''.join(rows)}</table>"
    )
    return "".join(parts)
