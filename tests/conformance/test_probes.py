"""The suite proves itself: each probe module fails exactly the cases its header declares, the example
module passes every case, and each host case (run on the suite's own probes) can fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from wasmhub_test_support import EXAMPLE_MODULE

from pytest_wasmhub.probes import probes_dir
from pytest_wasmhub.resources import conformance_dir
from pytest_wasmhub.selfcheck import SELF_TEST_OPTIONS, module_case_paths, outcomes_from_junit, run_probe

pytestmark = pytest.mark.usefixtures("clean_env")

SUITE = conformance_dir()
HOST_CASES = [str(SUITE / "isolation"), str(SUITE / "policy")]
PROBES = sorted(p.stem for p in probes_dir().glob("*.wat"))


def run_cases(pytester, module: Path, paths: list[str], *extra: str) -> dict[str, str]:
    """Run cases on ``module``; return case id -> outcome (passed, failed, error, skipped)."""
    report = pytester.path / "junit.xml"
    pytester.runpytest_subprocess(
        "--wasm", str(module), "--wasm-no-conformance", *SELF_TEST_OPTIONS, "-p", "no:cacheprovider",
        "-o", "junit_family=xunit1", f"--junitxml={report}", *extra, *paths,
    )  # fmt: skip
    outcomes = outcomes_from_junit(report)
    assert outcomes, "no case ran"
    return outcomes


@pytest.mark.parametrize("probe", PROBES)
def test_probe_fails_exactly_its_declared_cases(tmp_path, probe):
    verdict = run_probe(probes_dir() / f"{probe}.wat", cwd=tmp_path)
    assert verdict.outcomes, f"{probe}: no case ran"
    assert verdict.holds, verdict.describe()


def test_example_module_passes_every_case(pytester):
    outcomes = run_cases(pytester, EXAMPLE_MODULE, module_case_paths() + HOST_CASES)
    # an HTTP filter: the network and service cases on the module do not apply (not applicable, not
    # failed); the ones on the suite's probes run and pass
    not_passed = {case: o for case, o in outcomes.items() if o != "passed"}
    assert set(not_passed.values()) == {"skipped"}, not_passed
    assert all(case.startswith(("NETWORK-", "SERVICE-")) for case in not_passed), not_passed
    assert sum(o == "passed" for o in outcomes.values()) >= 22


def test_root_only_module_runs_as_a_service_and_says_why_not_otherwise(pytester):
    report = pytester.runpytest_subprocess(
        "--wasm", str(probes_dir() / "root_only.wat"), "--wasm-no-conformance", "-rs", "-p", "no:cacheprovider",
        *module_case_paths(),
    )  # fmt: skip
    report.assert_outcomes(
        passed=5, skipped=18
    )  # it loads as a service, the service cases run; HTTP and network ones do not apply
    report.stdout.fnmatch_lines(
        ["runs as service (auto); not http: it exports no HTTP callback; not network: *"]
    )
    report.stdout.fnmatch_lines(
        [
            "*not applicable: the module is not an HTTP filter (it exports no HTTP callback); it runs as service*"
        ]
    )


def test_a_service_run_as_an_http_filter_fails_naming_the_trap(pytester):
    """--wasm-kind runs a kind auto would not pick, and its failures count."""
    report = pytester.runpytest_subprocess(
        "--wasm", str(probes_dir() / "service_traps_http_context.wat"), "--wasm-kind", "http",
        "--wasm-no-conformance", "-p", "no:cacheprovider", str(SUITE / "envoy"),
    )  # fmt: skip
    report.assert_outcomes(failed=1)
    report.stdout.fnmatch_lines(["*ENVOY-LOAD-001*the module trapped in proxy_on_context_create: Uncaught*"])


def test_every_host_case_can_fail(pytester):
    """Hand the host cases a module that does not behave like the probes they expect: all must fail."""
    impostors = pytester.mkdir("impostor-probes")
    for probe in PROBES:
        (impostors / f"{probe}.wat").write_text(EXAMPLE_MODULE.read_text())
    outcomes = run_cases(pytester, EXAMPLE_MODULE, HOST_CASES, f"--wasm-probes={impostors}")
    outcomes.pop("ISOLATION-CRASH-001")  # runs the module under test, not a probe
    # POLICY-CONFLICT-001 checks Envoy's configuration validation, which holds for any module
    assert {case: o for case, o in outcomes.items() if o != "failed"} == {"POLICY-CONFLICT-001": "passed"}
