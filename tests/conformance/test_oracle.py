"""The oracle on a real Envoy: each request the suite sends is judged by Envoy's own record of it, and
the reason says what Envoy did, never what the module logged."""

from __future__ import annotations

import time

import pytest

from pytest_wasmhub.envoy import EnvoyStartError
from pytest_wasmhub.expect import Traffic
from pytest_wasmhub.findings import RunFindings
from pytest_wasmhub.outcomes import Kind
from pytest_wasmhub.probes import probes_dir


@pytest.fixture
def through(envoy_factory, upstream):
    """``through(probe) -> Traffic``: the probe as the module under test, with fresh run findings."""

    def start(probe: str, **settings) -> Traffic:
        envoy = envoy_factory(probes_dir() / f"{probe}.wat", **settings)
        return Traffic(envoy, upstream, timeout=2.0, findings=RunFindings(), case="TEST")

    return start


def test_a_module_log_at_error_level_is_not_a_failure(through):
    traffic = through("log_error_body")
    outcome = traffic.outcome_of("POST", "/logged", content=b"secret body")
    assert outcome.kind is Kind.UPSTREAM, outcome.reason
    assert [line.text for line in outcome.module_log] == ["request body: secret body", "request body:"]
    assert {line.level for line in outcome.module_log} == {"error"}
    assert traffic.envoy.wasm_errors() == []  # Envoy's own failures only


def test_a_reply_of_the_module_is_recorded_with_its_details(through):
    outcome = through("reply_503").outcome_of("GET", "/grpc-only")
    assert (outcome.kind, outcome.status) == (Kind.MODULE_REPLY, 503)
    assert outcome.record is not None and outcome.record.details == "grpc_only_filter"
    assert not outcome.failed


def test_a_vm_that_died_in_a_timer_fails_every_request_naming_the_timer(through):
    traffic = through("trap_on_tick")
    time.sleep(0.1)  # 1 ms ticks: the first one traps
    outcome = traffic.outcome_of("GET", "/after-ticks")
    assert outcome.kind is Kind.VM_FAILED, outcome.reason
    assert "in proxy_on_tick: Uncaught RuntimeError: unreachable" in outcome.reason
    assert "wasm_fail_stream" in outcome.reason


def test_a_paused_request_is_a_hang_not_an_isolation_break(through):
    traffic = through("pause_request_headers")
    outcome = traffic.outcome_of("GET", "/paused")
    assert outcome.kind is Kind.HANG, outcome.reason
    assert not outcome.kind.breaks_isolation
    assert "proxy_on_request_headers" in outcome.reason and "never resumed" in outcome.reason
    assert traffic.envoy.tainted, "an Envoy holding a paused stream must never be handed on"
    assert traffic.findings.hang and traffic.findings.request_timeout(10.0) == 1.0
    started = time.monotonic()
    assert traffic.outcome_of("GET", "/paused-again").kind is Kind.HANG
    assert time.monotonic() - started < 1.9, "once a hang is known, later requests get a short bound"


def test_a_response_beyond_the_buffer_limit_is_a_reset(through):
    outcome = through("buffer_whole_response").outcome_of("POST", "/big", content=b"z" * (2 * 1024 * 1024))
    assert outcome.kind is Kind.RESET, outcome.reason
    assert outcome.record is not None and outcome.record.details == "response_payload_too_large"


def test_the_suites_request_is_told_apart_from_the_modules_callout(through, upstream):
    traffic = through("callout_then_deny")
    outcome = traffic.outcome_of("GET", "/denied")
    assert outcome.kind is Kind.MODULE_REPLY and outcome.status == 403
    assert [r.path for r in upstream.requests] == ["/authz"], "the module's callout reached the upstream"
    assert traffic.upstream_request(outcome) is None, "the callout was taken for the suite's request"


def test_a_bytewise_panic_is_joined_into_the_trap_reason(through):
    outcome = through("panic_bytewise").outcome_of("GET", "/panics")
    assert outcome.kind is Kind.TRAPPED
    assert 'panic: strconv.Atoi: parsing "abc": invalid syntax' in outcome.reason
    assert outcome.trap is not None and outcome.trap.callback == "proxy_on_request_headers"


def test_a_start_that_never_ends_is_waited_for_once(envoy_factory, monkeypatch):
    module = probes_dir() / "loop_in_vm_start.wat"
    monkeypatch.setattr(envoy_factory.runner, "ready_timeout", 2.0)  # the session's runner: restored after
    envoy_factory.never_ready = {}
    with pytest.raises(EnvoyStartError) as first:
        envoy_factory(module)
    assert first.value.never_ready and "never became ready within 2 s" in first.value.reason
    started = time.monotonic()
    with pytest.raises(EnvoyStartError) as again:
        envoy_factory(module)
    assert time.monotonic() - started < 0.5
    assert "not waited for again" in again.value.reason


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    ("probe", "said"),
    [
        ("no_memory_export", "*Envoy died (killed by signal SIGSEGV) while serving GET /mine*"),
        ("pause_request_headers", "*GET /mine: hang: Envoy is alive*holds this request*"),
    ],
)
def test_an_author_test_says_why_envoy_gave_no_answer(pytester, probe, said):
    pytester.makepyfile(
        test_author="""
import httpx

def test_mine(envoy):
    envoy.http.get("/mine", timeout=2)
"""
    )
    result = pytester.runpytest_subprocess(
        "--wasm", str(probes_dir() / f"{probe}.wat"), "--wasm-no-conformance", "-p", "no:cacheprovider",
        "test_author.py",
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([said])
    if probe == "no_memory_export":
        result.stdout.fnmatch_lines(["*Caught Segmentation fault*"])  # the log section keeps the crash
