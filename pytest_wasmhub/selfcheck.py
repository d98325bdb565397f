"""The suite holds itself to its probes: run the cases that judge the module under test on one probe,
in a pytest process of its own, and compare what failed with the probe's ``expect-fail:`` line.
Used by the project's self-test and by ``benchmarks/stability.py``."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .probes import expected_failures
from .resources import conformance_dir

# the cases that run the module under test (the others run the suite's probes and check Envoy)
MODULE_CASES = (
    "envoy",
    "traffic",
    "network",
    "service",
    "isolation/test_isolation.py::test_module_keeps_envoy_alive",
)
# short bounds: a probe that hangs or never starts is found quickly; its verdict is the same
SELF_TEST_OPTIONS = ("--wasm-request-timeout", "2", "--envoy-ready-timeout", "5")


def module_case_paths() -> list[str]:
    return [str(conformance_dir() / path) for path in MODULE_CASES]


def outcomes_from_junit(path: Path) -> dict[str, str]:
    """case id (or test name) -> passed, failed, error or skipped, from pytest's own JUnit XML."""
    outcomes = {}
    for testcase in ElementTree.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in testcase.iter("property")}
        outcome = "passed"
        for child, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            if testcase.find(child) is not None:
                outcome = name
        outcomes[props.get("wasm_case_id") or testcase.get("name", "?")] = outcome
    return outcomes


@dataclass(frozen=True)
class Verdict:
    """What one probe failed, against what it declares."""

    probe: str
    failed: frozenset[str]
    expected: frozenset[str]
    unmatched: tuple[str, ...]  # declared patterns no failing case matched
    outcomes: dict[str, str]

    @property
    def holds(self) -> bool:
        return bool(self.outcomes) and self.failed == self.expected and not self.unmatched

    def describe(self) -> str:
        if self.holds:
            return f"{self.probe}: as declared ({len(self.failed)} failing)"
        extra = sorted(self.failed - self.expected)
        missing = sorted(self.expected - self.failed)
        return (
            f"{self.probe}: failed but not declared {extra}; declared but passed {missing}; "
            f"patterns without a failing case {list(self.unmatched)}"
        )


def judge(probe: Path, outcomes: dict[str, str]) -> Verdict:
    patterns = expected_failures(probe)
    failed = frozenset(case for case, outcome in outcomes.items() if outcome in ("failed", "error"))
    expected = frozenset(case for case in outcomes if any(fnmatch.fnmatchcase(case, p) for p in patterns))
    unmatched = tuple(p for p in patterns if not any(fnmatch.fnmatchcase(case, p) for case in failed))
    return Verdict(probe.stem, failed, expected, unmatched, outcomes)


def run_probe(probe: Path, extra: Sequence[str] = (), cwd: Path | None = None) -> Verdict:
    """Run the module cases on ``probe`` in a pytest process of its own and judge the result."""
    with tempfile.TemporaryDirectory(prefix="wasmhub-selfcheck-") as workdir:
        junit = Path(workdir) / "junit.xml"
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--wasm", str(probe),
            "--wasm-no-conformance", *SELF_TEST_OPTIONS, "-o", "junit_family=xunit1",
            f"--junitxml={junit}", *extra, *module_case_paths(),
        ]  # fmt: skip
        subprocess.run(command, cwd=cwd or workdir, capture_output=True, text=True, check=False)
        outcomes = outcomes_from_junit(junit) if junit.exists() else {}
    return judge(probe, outcomes)
