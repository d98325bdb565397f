"""The report for people: one self-contained HTML file (inline CSS, no script, no server), failing cases
first, each with its one-line reason and, folded, the traceback and Envoy log tail."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from .json_report import write_atomically
from .model import LABELS, RunReport, by_area_and_level, count, ordered

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_html(report: RunReport) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    results = ordered(report.results)
    cases = [r for r in results if r.case is not None]
    return env.get_template("report.html.j2").render(
        verdict=report.verdict,
        module=report.module,
        envoys=report.envoys,
        backend=report.backend,
        suite_version=report.suite_version,
        created=report.created,
        duration=report.duration,
        compatibility=report.compatibility,
        areas=by_area_and_level(cases),
        cases=cases,
        case_counts=count(cases),
        other_results=[r for r in results if r.case is None],
        labels=LABELS,
        configuration_json=json.dumps(report.configuration, indent=2, ensure_ascii=False),
    )


def write_html(report: RunReport, path: Path) -> None:
    write_atomically(path, render_html(report))
