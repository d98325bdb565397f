"""Where a scan keeps its results, and what it remembers about each run.

For a module whose sha256 is HEX, on Envoy V, with settings fingerprint S::

    DIR/sha256-HEX/envoy-V-S.json        the report pytest wrote (.html, .junit.xml beside it)
    DIR/sha256-HEX/envoy-V-S.scan.json   the scan's record: entry, status, exit code, duration
    DIR/sha256-HEX/envoy-V-S.log         pytest's output

The record is written last, atomically: a run killed halfway leaves none, so it is redone. The reader
side (:func:`read_report_facts`) uses only the report's verdict, module, envoy and results' case
id/level/outcome, the fields every report version has.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from .manifest import Unit

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "record.schema.json"
RECORD_VERSION = 1
RECORD_SUFFIX = ".scan.json"
DONE = "done"  # pytest ran to its end and wrote a report
TIMEOUT = "timeout"  # killed at the time limit
CRASHED = "crashed"  # pytest died, or ended without a report
UNUSABLE = "unusable"  # the module or settings were refused before any case ran (usage error)
FINISHED_WITHOUT_REPORT = (TIMEOUT, CRASHED, UNUSABLE)
MET = ("pass", "not_applicable")


@dataclass(frozen=True)
class RunPaths:
    directory: Path
    stem: str

    @property
    def report(self) -> Path:
        return self.directory / f"{self.stem}.json"

    @property
    def record(self) -> Path:
        return self.directory / f"{self.stem}{RECORD_SUFFIX}"

    @property
    def log(self) -> Path:
        return self.directory / f"{self.stem}.log"


def module_dir_name(sha256: str | None, module: str) -> str:
    if sha256:
        return f"sha256-{sha256}"
    # a module the scan could not even read has no digest: name it by its reference
    return "unreadable-" + hashlib.sha256(module.encode()).hexdigest()[:16]


def paths_for(out: Path, unit: Unit, sha256: str | None) -> RunPaths:
    directory = out / module_dir_name(sha256, unit.entry.module)
    return RunPaths(directory, f"envoy-{unit.envoy_version}-{unit.entry.settings_key}")


def row_key(sha256: str | None, unit: Unit) -> str:
    """What the matrix's rows and ``--baseline`` match on: the module and what it ran with."""
    return f"{module_dir_name(sha256, unit.entry.module)}/{unit.entry.row_key_settings}"


def write_record(
    paths: RunPaths,
    unit: Unit,
    *,
    sha256: str | None,
    status: str,
    exit_code: int | None,
    duration: float,
    message: str = "",
) -> dict[str, Any]:
    record = {
        "record_version": RECORD_VERSION,
        "status": status,
        "message": message,
        "entry": unit.entry.as_dict(),
        "row_key": row_key(sha256, unit),
        "settings_key": unit.entry.settings_key,
        "module_sha256": sha256,
        "envoy_version": unit.envoy_version,
        "suite_version": __version__,
        "exit_code": exit_code,
        "duration": round(duration, 3),
        "report": paths.report.name if status == DONE else None,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_atomically(paths.record, json.dumps(record, indent=2) + "\n")
    return record


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def is_finished(paths: RunPaths, unit: Unit, sha256: str | None, *, retry_errors: bool) -> bool:
    """Whether this run already has a result for this module digest, suite version and Envoy release."""
    record = read_json(paths.record)
    if record is None or record.get("module_sha256") != sha256:
        return False
    if record.get("suite_version") != __version__ or record.get("envoy_version") != unit.envoy_version:
        return False
    status = record.get("status")
    if status in FINISHED_WITHOUT_REPORT:
        return not retry_errors
    if status != DONE:
        return False
    facts = read_report_facts(paths.report)
    return (
        facts is not None
        and facts.module_sha256 == sha256
        and facts.suite_version == __version__
        and unit.envoy_version in facts.envoy_versions
    )


@dataclass(frozen=True)
class ReportFacts:
    """What the scan reads from a report."""

    status: str  # conformant | conformant_with_warnings | not_conformant
    module_sha256: str | None
    manifest_digest: str | None
    suite_version: str | None
    envoy_versions: tuple[str, ...]
    must_failures: tuple[str, ...]  # ids of MUST cases that were not met
    should_failures: tuple[str, ...]


def read_report_facts(path: Path) -> ReportFacts | None:
    report = read_json(path)
    if report is None:
        return None
    return facts_of(report)


def facts_of(report: dict[str, Any]) -> ReportFacts | None:
    verdict = report.get("verdict")
    if not isinstance(verdict, dict) or not isinstance(verdict.get("status"), str):
        return None
    module = report.get("module") if isinstance(report.get("module"), dict) else {}
    suite = report.get("suite") if isinstance(report.get("suite"), dict) else {}
    envoys = report.get("envoy") if isinstance(report.get("envoy"), list) else []
    unmet: dict[str, list[str]] = {"MUST": [], "SHOULD": []}
    for result in report.get("results") or []:
        case = result.get("case") if isinstance(result, dict) else None
        if not isinstance(case, dict) or result.get("outcome") in MET:
            continue
        level, case_id = case.get("level"), case.get("id")
        if level in unmet and isinstance(case_id, str) and case_id not in unmet[level]:
            unmet[level].append(case_id)
    return ReportFacts(
        status=verdict["status"],
        module_sha256=module.get("sha256"),
        manifest_digest=module.get("manifest_digest"),
        suite_version=suite.get("version"),
        envoy_versions=tuple(str(e.get("version")) for e in envoys if isinstance(e, dict)),
        must_failures=tuple(sorted(unmet["MUST"])),
        should_failures=tuple(sorted(unmet["SHOULD"])),
    )


def write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: a reader (or a resumed scan) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def find_records(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every scan record under ``directory``, in a stable order.

    Hidden directories (runs in progress) are not entered: a scan may remove them while this walks.
    """
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.endswith(RECORD_SUFFIX) or name.startswith("."):
                continue
            path = Path(root) / name
            record = read_json(path)
            if record is not None and record.get("record_version") == RECORD_VERSION:
                found.append((path, record))
    return found
