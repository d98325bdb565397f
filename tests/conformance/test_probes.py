"""The suite proves itself: each probe module fails exactly the cases its header declares, the example
module passes every case, and each host case (run on the suite's own probes) can fail."""

from __future__ import annotations

import fnmatch
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from wasmhub_test_support import EXAMPLE_MODULE

from pytest_wasmhub.probes import expected_failures, probes_dir
from pytest_wasmhub.resources import conformance_dir

pytestmark = pytest.mark.usefixtures("clean_env")

SUITE = conformance_dir()
# the cases that run the module under test (the others run the suite's probes and check Envoy)
MODULE_CASES = [
    str(SUITE / "envoy"),
    str(SUITE / "traffic"),
    str(SUITE / "isolation" / "test_isolation.py::test_module_keeps_envoy_alive"),
]
HOST_CASES = [str(SUITE / "isolation"), str(SUITE / "policy")]
PROBES = sorted(p.stem for p in probes_dir().glob("*.wat"))


def run_cases(pytester, module: Path, paths: list[str], *extra: str) -> dict[str, str]:
    """Run cases on ``module``; return case id -> outcome (passed, failed, error, skipped)."""
    report = pytester.path / "junit.xml"
    pytester.runpytest_subprocess(
        "--wasm",
        str(module),
        "--wasm-no-conformance",
        "--wasm-request-timeout",
        "2",
        "--envoy-ready-timeout",
        "5",
        "-p",
        "no:cacheprovider",
        "-o",
        "junit_family=xunit1",
        f"--junitxml={report}",
        *extra,
        *paths,
    )
    outcomes = {}
    for testcase in ElementTree.parse(report).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in testcase.iter("property")}
        outcome = "passed"
        for child, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            if testcase.find(child) is not None:
                outcome = name
        outcomes[props.get("wasm_case_id", testcase.get("name"))] = outcome
    assert outcomes, "no case ran"
    return outcomes


@pytest.mark.parametrize("probe", PROBES)
def test_probe_fails_exactly_its_declared_cases(pytester, probe):
    path = probes_dir() / f"{probe}.wat"
    patterns = expected_failures(path)
    outcomes = run_cases(pytester, path, MODULE_CASES)
    failed = {case for case, outcome in outcomes.items() if outcome in ("failed", "error")}
    expected = {case for case in outcomes if any(fnmatch.fnmatchcase(case, p) for p in patterns)}
    assert failed == expected, f"{probe}: failed {sorted(failed)}, declared {patterns}"
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(case, p) for case in failed)]
    assert not unmatched, f"{probe}: declared failures that no case produced: {unmatched}"


def test_example_module_passes_every_case(pytester):
    outcomes = run_cases(pytester, EXAMPLE_MODULE, MODULE_CASES + HOST_CASES)
    assert {case: o for case, o in outcomes.items() if o != "passed"} == {}


def test_root_only_service_skips_http_cases_with_the_reason(pytester):
    report = pytester.runpytest_subprocess(
        "--wasm",
        str(probes_dir() / "root_only.wat"),
        "--wasm-no-conformance",
        "-rs",
        "-p",
        "no:cacheprovider",
        *MODULE_CASES,
    )
    report.assert_outcomes(passed=1, skipped=12)  # it loads (ENVOY-LOAD-001); HTTP cases do not apply
    report.stdout.fnmatch_lines(["*module has no HTTP filter context*"])


def test_every_host_case_can_fail(pytester):
    """Hand the host cases a module that does not behave like the probes they expect: all must fail."""
    impostors = pytester.mkdir("impostor-probes")
    for probe in PROBES:
        (impostors / f"{probe}.wat").write_text(EXAMPLE_MODULE.read_text())
    outcomes = run_cases(pytester, EXAMPLE_MODULE, HOST_CASES, f"--wasm-probes={impostors}")
    outcomes.pop("ISOLATION-CRASH-001")  # runs the module under test, not a probe
    # POLICY-CONFLICT-001 checks Envoy's configuration validation, which holds for any module
    assert {case: o for case, o in outcomes.items() if o != "failed"} == {"POLICY-CONFLICT-001": "passed"}
