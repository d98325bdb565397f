"""Join scan directories into one matrix (module x Envoy release), and compare a candidate with a baseline.

Rows are matched by the module's sha256 and the settings that change what runs, so a baseline and a
candidate scan of the same catalogue line up whatever machine or shard produced each report. With a
baseline, only what changed is listed, regressions first, then fixes, then other changes, then rows
present on one side only (the way Crater reports a compiler change across every crate).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..envoy.versions import version_key
from .records import DONE, find_records, read_report_facts

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "summary.schema.json"
SUMMARY_VERSION = "1.0"
MISSING_REPORT = "missing_report"
# worse is higher; statuses of equal rank that differ are a "changed", not a regression
RANK = {
    "conformant": 0,
    "conformant_with_warnings": 1,
    "not_conformant": 2,
    "timeout": 3,
    "crashed": 3,
    "unusable": 3,
    MISSING_REPORT: 3,
}
KIND_ORDER = ("regression", "fixed", "changed", "added", "removed")


class MergeError(ValueError):
    """The inputs cannot be merged or compared; one line."""


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


@dataclass
class Cell:
    status: str
    must_failures: list[str]
    report: str | None  # path of the report, None when the run produced none
    suite_version: str | None
    message: str
    finished: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "must_failures": self.must_failures,
            "report": self.report,
            "suite_version": self.suite_version,
            "message": self.message,
        }


@dataclass
class Row:
    key: str
    name: str
    module: str
    module_sha256: str | None
    settings: dict[str, Any]
    cells: dict[str, Cell] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "module": self.module,
            "module_sha256": self.module_sha256,
            "settings": self.settings,
            "cells": {v: self.cells[v].as_dict() for v in sorted(self.cells, key=version_key)},
        }


def collect(directories: Sequence[Path]) -> dict[str, Row]:
    """Every run recorded under ``directories``; a run recorded twice keeps its latest result."""
    rows: dict[str, Row] = {}
    for directory in directories:
        if not Path(directory).is_dir():
            raise MergeError(f"{directory}: not a directory")
        for path, record in find_records(Path(directory).resolve()):
            entry = record.get("entry") or {}
            key = str(record.get("row_key"))
            row = rows.setdefault(
                key,
                Row(
                    key,
                    str(entry.get("name")),
                    str(entry.get("module")),
                    record.get("module_sha256"),
                    entry.get("settings") or {},
                ),
            )
            cell = _cell(path, record)
            version = str(record.get("envoy_version"))
            known = row.cells.get(version)
            if known is None or cell.finished >= known.finished:
                row.cells[version] = cell
    return rows


def _cell(path: Path, record: dict[str, Any]) -> Cell:
    status, must, report = str(record.get("status")), [], None
    message = str(record.get("message") or "")
    if status == DONE:
        report_path = path.parent / str(record.get("report"))
        facts = read_report_facts(report_path)
        if facts is None:
            status, message = MISSING_REPORT, f"{report_path.name} is missing or unreadable"
        else:
            status, must, report, message = facts.status, list(facts.must_failures), str(report_path), ""
    return Cell(status, must, report, record.get("suite_version"), message, str(record.get("finished") or ""))


def versions_of(rows: dict[str, Row]) -> list[str]:
    return sorted({v for row in rows.values() for v in row.cells}, key=version_key)


def version_pairs(baseline: list[str], candidate: list[str]) -> list[tuple[str, str]]:
    """Which baseline release each candidate release is compared with.

    Releases both scans have are compared with themselves (suite vX vs vY on the same Envoy); with
    none in common, the scans' releases are paired oldest with oldest (Envoy 1.39 vs 1.40).
    """
    common = [v for v in candidate if v in baseline]
    if common:
        return [(v, v) for v in common]
    if len(baseline) != len(candidate):
        raise MergeError(
            f"cannot pair the baseline's Envoy releases ({', '.join(baseline) or 'none'}) with the "
            f"candidate's ({', '.join(candidate) or 'none'}): no release in common and not as many"
        )
    return list(zip(baseline, candidate, strict=True))


def compare(baseline: dict[str, Row], candidate: dict[str, Row]) -> dict[str, Any]:
    pairs = version_pairs(versions_of(baseline), versions_of(candidate))
    changes = []
    for key in sorted(set(baseline) | set(candidate)):
        before, after = baseline.get(key), candidate.get(key)
        for old_version, new_version in pairs:
            old = before.cells.get(old_version) if before else None
            new = after.cells.get(new_version) if after else None
            kind = _kind(old, new)
            if kind is None:
                continue
            row = after or before
            assert row is not None
            changes.append(
                {
                    "kind": kind,
                    "key": key,
                    "name": row.name,
                    "module": row.module,
                    "baseline_envoy": old_version,
                    "candidate_envoy": new_version,
                    "baseline": old.status if old else None,
                    "candidate": new.status if new else None,
                    "new_must_failures": sorted(
                        set(new.must_failures) - set(old.must_failures if old else [])
                    )
                    if new
                    else [],
                    "candidate_report": new.report if new else None,
                }
            )
    changes.sort(key=lambda c: (KIND_ORDER.index(c["kind"]), c["name"], version_key(c["candidate_envoy"])))
    counts = {kind: sum(1 for c in changes if c["kind"] == kind) for kind in KIND_ORDER}
    return {"pairs": [list(p) for p in pairs], "counts": counts, "changes": changes}


def _kind(old: Cell | None, new: Cell | None) -> str | None:
    if old is None and new is None:
        return None
    if old is None:
        return "added"
    if new is None:
        return "removed"
    if old.status == new.status:
        return None
    before, after = RANK.get(old.status, 3), RANK.get(new.status, 3)
    return "regression" if after > before else "fixed" if after < before else "changed"


def summarize(directories: Sequence[Path], baseline: Sequence[Path] | None = None) -> dict[str, Any]:
    """The summary document (see ``schema/summary.schema.json``)."""
    rows = collect(directories)
    comparison = None
    if baseline:
        comparison = compare(collect(baseline), rows)
        changed = {c["key"] for c in comparison["changes"]}
        rows = {k: r for k, r in rows.items() if k in changed}
    versions = versions_of(rows)
    totals = {v: _count(row.cells[v].status for row in rows.values() if v in row.cells) for v in versions}
    return {
        "schema_version": SUMMARY_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sources": [str(d) for d in directories],
        "baseline_sources": [str(d) for d in baseline] if baseline else None,
        "envoy_versions": versions,
        "rows": [r.as_dict() for r in sorted(rows.values(), key=lambda r: (r.name, r.key))],
        "totals": totals,
        "comparison": comparison,
    }


def _count(statuses: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def validation_errors(document: dict[str, Any]) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
        for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
