"""The verdict and the exit code a registry's CI gates on.

The rule, per result (a case on one Envoy version):

* a MUST case counts as met when it passed or was not applicable; a fail, an error or a skip is
  *not* a pass: the module was not shown to meet it, so the run is **not conformant** (exit 1);
* a SHOULD case that does not pass (fail, error, skip) is a **warning**; with ``--wasm-strict`` SHOULD
  cases are held to the MUST rule;
* a run in which no MUST case passed (none collected, or all not applicable) is never conformant;
* a run that left MUST cases out (deselected by ``-m``, ``-k``, ``--wasm-level should`` or
  ``--deselect``, or not run because it stopped early with ``-x``) is **partial**: no verdict on the
  module, exit 1;
* an interrupted run (Ctrl-C, pytest's exit code 2) is **interrupted**, whatever ran before, exit 2;
* the exit code is 0 only for a conformant run (with or without warnings) whose other tests (the
  author's own) also passed; pytest's own codes for an interrupted run (2), an internal error (3), a
  usage error (4) and an empty collection (5) are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .model import ERROR, FAIL, NOT_APPLICABLE, PASS, TestResult, ordered

CONFORMANT = "conformant"
WITH_WARNINGS = "conformant_with_warnings"
NOT_CONFORMANT = "not_conformant"
PARTIAL = "partial"  # MUST cases were left out: the run says nothing about the module as a whole
INTERRUPTED = "interrupted"
TITLES = {
    CONFORMANT: "conformant",
    WITH_WARNINGS: "conformant with warnings",
    NOT_CONFORMANT: "not conformant",
    PARTIAL: "partial",
    INTERRUPTED: "interrupted",
}

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 2
# pytest's codes that say more than "failed": interrupted, internal error, usage error, nothing collected
_KEPT_EXIT_CODES = (2, 3, 4, 5)


@dataclass(frozen=True)
class Verdict:
    status: str
    exit_code: int
    strict: bool
    reasons: list[str] = field(default_factory=list)  # why not conformant, or the warnings

    @property
    def title(self) -> str:
        return TITLES[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "title": self.title,
            "exit_code": self.exit_code,
            "strict": self.strict,
            "reasons": list(self.reasons),
        }


def is_met(result: TestResult) -> bool:
    return result.outcome in (PASS, NOT_APPLICABLE)


@dataclass(frozen=True)
class Selection:
    """What of the collected suite did not run: MUST cases deselected, and those selected but never
    reported (the run stopped early)."""

    deselected_must: int = 0
    unrun_must: int = 0

    def reasons(self) -> list[str]:
        reasons = []
        if self.deselected_must:
            reasons.append(
                f"{self.deselected_must} MUST case(s) deselected (-m, -k, --wasm-level or --deselect): "
                "a partial run is no verdict on the module"
            )
        if self.unrun_must:
            reasons.append(f"{self.unrun_must} selected MUST case(s) did not run (the run stopped early)")
        return reasons


def judge(
    results: Iterable[TestResult],
    *,
    strict: bool,
    pytest_exit_code: int,
    selection: Selection | None = None,
) -> Verdict:
    """The verdict over every result; ``pytest_exit_code`` is what pytest would exit with on its own."""
    results = list(results)
    cases = [r for r in results if r.case is not None]
    blocking: list[str] = []
    warnings: list[str] = []
    for result in ordered(cases):  # failures first, then errors and skips
        if is_met(result):
            continue
        line = f"{result.case.level} {result.label} {result.outcome}: {result.message}".rstrip(": ")
        if result.case.level == "MUST" or strict:
            blocking.append(line)
        else:
            warnings.append(line)
    partial = (selection or Selection()).reasons()
    musts = [r for r in cases if r.case.level == "MUST"]
    if not cases and not partial:
        blocking.append("no conformance case ran")
    elif musts and not any(r.outcome == PASS for r in musts):
        blocking.append("no MUST case passed (all were not applicable)")
    elif not musts and not partial:
        blocking.append("no MUST case ran")

    if pytest_exit_code == EXIT_INTERRUPTED:
        status, reasons = INTERRUPTED, ["the run was interrupted: not every case ran", *blocking]
    elif blocking:
        status, reasons = NOT_CONFORMANT, blocking
    elif partial:
        status, reasons = PARTIAL, partial
    elif warnings:
        status, reasons = WITH_WARNINGS, warnings
    else:
        status, reasons = CONFORMANT, []

    if pytest_exit_code in _KEPT_EXIT_CODES:
        exit_code = pytest_exit_code
    elif status in (NOT_CONFORMANT, PARTIAL) or _other_tests_failed(results):
        exit_code = EXIT_FAILED
    else:
        exit_code = EXIT_OK
    return Verdict(status, exit_code, strict, reasons)


def _other_tests_failed(results: list[TestResult]) -> bool:
    """The author's own tests (not conformance cases) keep pytest's rule: any failure fails the run."""
    return any(r.case is None and r.outcome in (FAIL, ERROR) for r in results)
