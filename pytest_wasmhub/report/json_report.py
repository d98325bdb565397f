"""The machine-readable report: JSON that validates against the published ``schema/report.schema.json``."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from .model import RunReport

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "report.schema.json"


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def validation_errors(document: dict[str, Any]) -> list[str]:
    """Every way ``document`` breaks the schema (empty when it is a valid report)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


def write_json(report: RunReport, path: Path) -> dict[str, Any]:
    """Write the report to ``path`` (atomically: a reader never sees half a file); returns the document."""
    document = report.as_dict()
    write_atomically(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return document


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
