"""The result model: what one test (a conformance case, maybe on one Envoy version) ended as, and why.

Outcomes are kept apart, because they mean different things to a registry:

* ``pass``: the module does what the case requires;
* ``fail``: it does not (an assertion, or a fixture that ended the test with ``pytest.fail``, as the
  ``envoy`` fixture does when Envoy refuses the module);
* ``error``: the suite or the proxy broke before the case could judge (an exception in set-up, a
  failing tear-down, an exception in a case that is neither ``pytest.fail`` nor an assertion): it
  says nothing about the module;
* ``skip``: the case could not run here (the reason says why);
* ``not_applicable``: the case does not concern this module (``pytest_wasmhub.cases.not_applicable``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..cases import NOT_APPLICABLE_PREFIX

PASS = "pass"
FAIL = "fail"
ERROR = "error"
SKIP = "skip"
NOT_APPLICABLE = "not_applicable"
# display order: what needs attention first
OUTCOMES = (FAIL, ERROR, SKIP, PASS, NOT_APPLICABLE)
LABELS = {FAIL: "FAIL", ERROR: "ERROR", SKIP: "SKIP", PASS: "PASS", NOT_APPLICABLE: "N/A"}

MESSAGE_LIMIT = 300  # characters of the one-line reason
DETAILS_LIMIT = 20_000  # characters of traceback and Envoy log kept per result

# user_properties the plugin puts on each case's reports (they travel from xdist workers)
PROPERTY_PREFIX = "wasm_case_"
ENVOY_VERSION_PROPERTY = "wasm_envoy_version"
REQUESTS_PROPERTY = "wasm_requests"  # JSON: each request a case sent and its outcome in Envoy's terms
CHANGES_PROPERTY = "wasm_module_changes"  # JSON: what the module changed, per observed exchange
GUIDED_PROPERTY = "wasm_guided_search"  # JSON: the guided search, its finding and Envoy's replay of it
FAILED_BY_VERDICT = "wasmhub_failed_by_verdict"  # report attribute: a fixture called pytest.fail


class PhaseReport(Protocol):
    """The parts of ``pytest.TestReport`` the model reads (also true of reports from xdist workers)."""

    nodeid: str
    when: str
    outcome: str
    duration: float
    longrepr: Any
    user_properties: list[tuple[str, object]]
    sections: list[tuple[str, str]]


@dataclass(frozen=True)
class CaseMeta:
    """A conformance case's identity, as the test's reports carry it."""

    id: str
    level: str
    area: str = ""
    title: str = ""
    spec: str = ""

    @classmethod
    def from_properties(cls, properties: Iterable[tuple[str, object]]) -> CaseMeta | None:
        values = {
            name[len(PROPERTY_PREFIX) :]: str(value)
            for name, value in properties
            if name.startswith(PROPERTY_PREFIX)
        }
        if "id" not in values or "level" not in values:
            return None
        return cls(
            values["id"],
            values["level"],
            values.get("area", ""),
            values.get("title", ""),
            values.get("spec", ""),
        )

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "level": self.level, "area": self.area, "title": self.title, "spec": self.spec}


@dataclass
class TestResult:
    """One test's outcome. A case run on several Envoy versions gives one result per version."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    nodeid: str
    outcome: str
    duration: float
    message: str
    details: str = ""
    case: CaseMeta | None = None
    envoy_version: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    guided: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``ENVOY-LOAD-001 [envoy 1.40.0]``: the case id and Envoy version identify a result."""
        name = self.case.id if self.case else self.nodeid
        return f"{name} [envoy {self.envoy_version}]" if self.envoy_version else name

    def as_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "case": self.case.as_dict() if self.case else None,
            "envoy_version": self.envoy_version,
            "outcome": self.outcome,
            "duration": round(self.duration, 4),
            "message": self.message,
            "details": self.details,
            "requests": self.requests,
            "changes": self.changes,
            "guided": self.guided,
        }


def result_from_phases(phases: Sequence[PhaseReport]) -> TestResult:
    """Combine a test's set-up, call and tear-down reports into one result."""
    by_phase = {report.when: report for report in phases}
    properties = [p for report in phases for p in report.user_properties]
    case = CaseMeta.from_properties(properties)
    outcome, message = _classify(by_phase, is_case=case is not None)
    return TestResult(
        nodeid=phases[0].nodeid,
        outcome=outcome,
        duration=sum(report.duration for report in phases),
        message=message,
        details=_details(phases) if outcome in (FAIL, ERROR) else "",
        case=case,
        envoy_version=next((str(v) for k, v in properties if k == ENVOY_VERSION_PROPERTY), None),
        requests=_json_property(properties, REQUESTS_PROPERTY),
        changes=_json_property(properties, CHANGES_PROPERTY),
        guided=_json_property(properties, GUIDED_PROPERTY),
    )


def _json_property(properties: list[tuple[str, object]], name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for key, value in properties:
        if key == name:
            try:
                loaded = json.loads(str(value))
            except json.JSONDecodeError:
                continue
            found.extend(item for item in loaded if isinstance(item, dict))
    return found


def _classify(by_phase: Mapping[str, PhaseReport], *, is_case: bool) -> tuple[str, str]:
    setup, call, teardown = by_phase.get("setup"), by_phase.get("call"), by_phase.get("teardown")
    # xdist reports a test whose worker died with a phase of its own ("???"): the suite broke
    crashed = [report for when, report in by_phase.items() if when not in ("setup", "call", "teardown")]
    if crashed or setup is None:
        return ERROR, "the test process crashed: " + reason_of((crashed or list(by_phase.values()))[0])
    if setup.outcome == "failed":
        if getattr(setup, FAILED_BY_VERDICT, False):
            return FAIL, reason_of(setup)
        return ERROR, "set-up error: " + reason_of(setup)
    if setup.outcome == "skipped":
        return _skip(setup)
    if call is None:
        # interrupted between set-up and call
        return ERROR, "the test did not run (the session was interrupted)"
    if call.outcome == "failed":
        if is_case and not _is_verdict(call):
            # an exception the case did not raise as its verdict: the suite broke, not the module
            return ERROR, "the case broke: " + reason_of(call)
        return FAIL, reason_of(call)
    if call.outcome == "skipped":
        if hasattr(call, "wasxfail"):
            # a known failure of a case is still a failure of the module; an author's xfail is a skip
            reason = "expected failure: " + (str(getattr(call, "wasxfail", "")) or reason_of(call))
            return (FAIL if is_case else SKIP), reason
        return _skip(call)
    if teardown is not None and teardown.outcome == "failed":
        return ERROR, "tear-down error: " + reason_of(teardown)
    return PASS, ""


# how a case states its verdict: pytest.fail(...) ("Failed: ..."), or an assertion
_VERDICT_PREFIXES = ("Failed", "AssertionError", "assert ")


def _is_verdict(report: PhaseReport) -> bool:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None:
        return True  # nothing says otherwise
    return str(crash.message).lstrip().startswith(_VERDICT_PREFIXES)


def _skip(report: PhaseReport) -> tuple[str, str]:
    reason = reason_of(report)
    if reason.startswith(NOT_APPLICABLE_PREFIX):
        return NOT_APPLICABLE, reason[len(NOT_APPLICABLE_PREFIX) :]
    return SKIP, reason


def reason_of(report: PhaseReport) -> str:
    """The one-line reason a phase failed or skipped."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3:  # a skip: (path, line, "Skipped: why")
        text = str(longrepr[2]).removeprefix("Skipped: ")
    else:
        crash = getattr(longrepr, "reprcrash", None)
        if crash is not None:
            text = crash.message
        else:  # a plain string: its last line names the exception
            lines = str(longrepr).strip().splitlines()
            text = lines[-1] if lines else ""
        for prefix in ("Failed: ", "AssertionError: "):
            text = text.removeprefix(prefix)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    # "...failed:" with the cause on the lines after it: the cause belongs in the one-line reason
    rest = iter(lines[1:])
    while first.endswith(":") and (following := next(rest, None)) is not None:
        first = f"{first} {following}"
    return first if len(first) <= MESSAGE_LIMIT else first[: MESSAGE_LIMIT - 1] + "…"


def _details(phases: Sequence[PhaseReport]) -> str:
    parts = []
    for report in phases:
        if report.outcome != "failed":
            continue
        text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
        parts.append(f"--- {report.when} ---\n{text}")
        for title, content in report.sections:
            if title.startswith("envoy"):  # the plugin's Envoy log tail and start-up details
                parts.append(f"--- {title} ---\n{content}")
    joined = "\n".join(parts)
    return joined if len(joined) <= DETAILS_LIMIT else joined[: DETAILS_LIMIT - 1] + "…"


def count(results: Iterable[TestResult]) -> dict[str, int]:
    """How many results of each outcome (every outcome present, zero or not)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for result in results:
        counts[result.outcome] += 1
    return counts


def ordered(results: Iterable[TestResult]) -> list[TestResult]:
    """Failing results first, then by level (MUST first), area and case id."""
    rank = {outcome: i for i, outcome in enumerate(OUTCOMES)}
    return sorted(
        results,
        key=lambda r: (
            rank[r.outcome],
            r.case is None,
            r.case.level != "MUST" if r.case else True,
            r.case.area if r.case else "",
            r.label,
        ),
    )


@dataclass(frozen=True)
class EnvoyInfo:
    """One Envoy the run used."""

    version: str
    binary: str
    runtime: str
    wasm_supported: bool = True
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "binary": self.binary,
            "runtime": self.runtime,
            "wasm_supported": self.wasm_supported,
            "note": self.note,
        }


LOADED = "loaded"
REFUSED = "refused"
UNSUPPORTED = "unsupported"  # the build cannot run Wasm at all
NOT_PROBED = "not probed"


@dataclass(frozen=True)
class Compatibility:
    """The module on one Envoy version: does Envoy load it, and how did its cases end there."""

    envoy_version: str
    load: str  # LOADED, REFUSED, UNSUPPORTED or NOT_PROBED
    load_reason: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "envoy_version": self.envoy_version,
            "load": self.load,
            "load_reason": self.load_reason,
            "counts": dict(self.counts),
        }


SCHEMA_VERSION = "1.0"


@dataclass
class RunReport:
    """Everything a report says about one run."""

    suite_version: str
    created: str  # ISO 8601, UTC
    duration: float
    module: dict[str, Any] | None  # source, kind, size, sha256, abi_version, manifest_digest
    envoys: list[EnvoyInfo]
    backend: str  # process | container
    configuration: dict[str, Any]  # the settings used, secrets redacted
    results: list[TestResult]
    verdict: Any  # verdict.Verdict (kept untyped here: the verdict module imports this one)
    compatibility: list[Compatibility] = field(default_factory=list)
    pytest_exit_code: int = 0

    @property
    def cases(self) -> list[TestResult]:
        return [r for r in self.results if r.case is not None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "suite": {"name": "pytest-wasmhub", "version": self.suite_version},
            "created": self.created,
            "duration": round(self.duration, 3),
            "module": self.module,
            "envoy": [envoy.as_dict() for envoy in self.envoys],
            "backend": self.backend,
            "configuration": self.configuration,
            "verdict": self.verdict.as_dict(),
            "summary": {
                "cases": count(self.cases),
                "other_tests": count(r for r in self.results if r.case is None),
            },
            "compatibility": [row.as_dict() for row in self.compatibility],
            "results": [r.as_dict() for r in ordered(self.results)],
        }


def by_area_and_level(results: Iterable[TestResult]) -> list[tuple[str, str, dict[str, int]]]:
    """``(area, level, counts)`` for the conformance cases, areas in name order, MUST before SHOULD."""
    groups: dict[tuple[str, str], list[TestResult]] = {}
    for result in results:
        if result.case is not None:
            groups.setdefault((result.case.area or "-", result.case.level), []).append(result)
    return [
        (area, level, count(groups[(area, level)]))
        for area, level in sorted(groups, key=lambda key: (key[0], key[1] != "MUST"))
    ]
