"""The suite's verdicts on modules built with the Rust SDK, the way authors build them: a panic is
reported with its whole message (the SDK logs it on two lines), a module's own error-level logging is
no failure, and the SDK's export of every callback does not mislead the cases."""

from __future__ import annotations

import pytest

from pytest_wasmhub.expect import Traffic
from pytest_wasmhub.findings import RunFindings
from pytest_wasmhub.outcomes import Kind
from pytest_wasmhub.selfcheck import module_case_paths, outcomes_from_junit

pytestmark = pytest.mark.usefixtures("clean_env")


def test_a_rust_panic_is_reported_with_its_location_and_message(rust_test_module, envoy_factory, upstream):
    envoy = envoy_factory(rust_test_module("panic_on_header"))
    traffic = Traffic(envoy, upstream, timeout=5.0, findings=RunFindings())
    outcome = traffic.outcome_of("GET", "/user", headers={"x-panic": "1", "x-user": "bob"})
    assert outcome.kind is Kind.TRAPPED, outcome.reason
    assert "trapped in proxy_on_request_headers: Uncaught RuntimeError: unreachable" in outcome.reason
    assert "panicked at panic_on_header/src/lib.rs:" in outcome.reason
    assert "called `Result::unwrap()` on an `Err` value: x-user is not a number" in outcome.reason
    later = traffic.outcome_of("GET", "/calm")
    assert later.kind is Kind.VM_FAILED
    assert "x-user is not a number" in later.reason, "where the VM died names the panic too"


@pytest.fixture(params=["log_error_body", "panic_on_header"])
def well_behaved(request, rust_test_module):
    # built before pytester moves HOME (rustup finds its toolchains there)
    return request.param, rust_test_module(request.param)


# what each module fails: log_error_body nothing; panic_on_header only the guided search, which finds
# the header it panics on (x-panic) among the ones it asks the host for
EXPECTED_FAILURES = {"log_error_body": {}, "panic_on_header": {"HOSTILE-GUIDED-001": "failed"}}


def test_well_behaved_rust_filters_pass_every_fixed_case(well_behaved, pytester):
    """log_error_body logs every body at error level; panic_on_header panics only on a header the
    suite's fixed requests never send. Neither may fail a fixed case; the guided search finds the
    panic's header, confirmed on Envoy, and names it."""
    name, module = well_behaved
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess(
        "--wasm", str(module), "--wasm-no-conformance", "-p", "no:cacheprovider",
        "-o", "junit_family=xunit1", f"--junitxml={junit}", *module_case_paths(),
    )  # fmt: skip
    outcomes = outcomes_from_junit(junit)
    http = {case: o for case, o in outcomes.items() if not case.startswith(("NETWORK-", "SERVICE-"))}
    assert len(http) == 15
    assert {case: o for case, o in http.items() if o != "passed"} == EXPECTED_FAILURES[name]
    if EXPECTED_FAILURES[name]:
        result.stdout.fnmatch_lines(["*HOSTILE-GUIDED-001*header x-panic*"])


@pytest.fixture(params=["byte_counter", "tick_service"])
def other_kind(request, rust_example):
    return request.param, rust_example(request.param)


def test_rust_network_filter_and_service_are_judged_in_their_kind(other_kind, pytester):
    """The SDK exports every callback; run as what they are, a network filter and a timer service
    pass their cases on a real Envoy, and the HTTP cases do not apply."""
    name, module = other_kind
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess(
        "--wasm", str(module), "--wasm-no-conformance", "-p", "no:cacheprovider",
        "-o", "junit_family=xunit1", f"--junitxml={junit}", *module_case_paths(),
    )  # fmt: skip
    outcomes = outcomes_from_junit(junit)
    prefix = "NETWORK-" if name == "byte_counter" else "SERVICE-"
    ran = {case: o for case, o in outcomes.items() if case.startswith(prefix)}
    assert ran and set(ran.values()) == {"passed"}, ran
    assert outcomes["ENVOY-LOAD-001"] == "passed"  # loaded in the deployment its kind needs
    assert {o for case, o in outcomes.items() if case not in ran and case != "ENVOY-LOAD-001"} == {"skipped"}
    result.stdout.fnmatch_lines([f"runs as {'network' if name == 'byte_counter' else 'service'} (auto)*"])
