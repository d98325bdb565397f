"""HTTP streams through the test filter ``modules/behaviours.wat``: what reaches the upstream, what the
client gets, and what the host records."""

from __future__ import annotations

import uuid

import pytest

from pytest_wasmhub.host import FailurePolicy, ProxyWasmHost, Response

SEEN = ("x-seen", "1")


@pytest.fixture
def host(behaviours):
    with ProxyWasmHost(behaviours, clusters=["auth"]) as started:
        yield started


def test_headers_added_both_ways(host):
    result = host.http_request("GET", "/a", headers={"x-test": ""})
    assert result.status == 200 and result.response_details == "via_upstream"
    assert SEEN in result.request_headers.items()
    assert result.response_headers["x-behaviours"] == "yes"


def test_each_request_gets_its_own_random_version_4_request_id(host):
    # Envoy's connection manager adds x-forwarded-proto and a fresh UUID4 x-request-id (ids come in batches)
    ids = [host.http_request().request_headers["x-request-id"] for _ in range(600)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        found = uuid.UUID(text)
        assert str(found) == text and found.version == 4 and found.variant == uuid.RFC_4122
    given = host.http_request(headers={"x-request-id": "mine"}).request_headers
    assert given.get_all("x-request-id") == ["mine"] and given["x-forwarded-proto"] == "http"


def test_request_headers_are_gone_once_forwarded(host):
    # Envoy drops the module's access when the headers go upstream: reading one in
    # proxy_on_response_headers answers BAD_ARGUMENT (2), measured on Envoy 1.40
    result = host.http_request()
    assert result.response_headers["x-late-read"] == "2"
    [late] = [
        r
        for r in host.trace.host_calls("proxy_get_header_map_value")
        if r.within == "proxy_on_response_headers"
    ]
    assert "unavailable" in late.notes


def test_local_reply_from_the_request_path(host):
    result = host.http_request("POST", "/x", headers={"x-test": "l"}, body=b"payload")
    assert result.upstream_request is None
    assert (result.status, result.body) == (403, b"blocked\n")
    assert result.response_details == "denied_by_test"  # Envoy replaces spaces in details
    headers = result.response_headers.items()
    assert headers[:3] == [("content-length", "8"), ("content-type", "text/plain"), ("x-local", "yes")]
    # the reply still passes the module's encoder callbacks, as in Envoy
    assert result.response_headers["x-behaviours"] == "yes"
    assert [name for name, _ in result.actions] == ["proxy_on_request_headers", "proxy_on_response_headers"]


def test_local_reply_from_the_response_path_replaces_the_response(host):
    result = host.http_request(headers={"x-test": "r"})
    assert result.upstream_request is not None
    assert (result.status, result.body) == (418, b"tea")
    assert "x-behaviours" not in result.response_headers


def test_body_buffered_then_replaced(host):
    result = host.http_request("POST", "/b", headers={"x-test": "b"}, body=[b"ab", b"cd", b"ef"])
    assert result.upstream_request.body == b"REWRITTEN"
    body_calls = [r.args["args"][1:] for r in host.trace.callbacks("proxy_on_request_body")]
    assert body_calls == [(2, 0), (4, 0), (6, 1)]  # the buffered size grows; end of stream last
    assert [a for n, a in result.actions if n == "proxy_on_request_body"] == [1, 1, 0]
    # the module changed the length but not content-length: an HTTP/1 upstream reads 6 of 9 bytes
    assert any("content-length says 6" in p.detail for p in host.problems_of("length_mismatch"))


def test_a_content_length_is_read_as_a_number(host):
    for declared, wrong in (("2", False), ("02", False), ("3", True), ("two", False)):
        before = len(host.problems_of("length_mismatch"))
        result = host.http_request(upstream=Response(200, {"content-length": declared}, b"ok"))
        assert result.status == 200 and result.body == b"ok"
        assert len(host.problems_of("length_mismatch")) == before + wrong, declared


def test_callout_answered_by_the_test(host):
    stream = host.start_request(headers={"x-test": "c"})
    assert stream.waiting_on == "proxy_on_request_headers"
    [call] = host.pending_http_calls.values()
    assert (call.upstream, call.header(":path"), call.timeout_ms) == ("auth", "/check", 500)
    host.answer_http_call(call.token, Response(201, {"x-ok": "1"}, b"fine"))
    result = stream.finish()
    assert result.status == 200
    assert ("x-auth-status", "201") in result.request_headers.items()
    assert ("x-auth-body", "fine") in result.request_headers.items()
    # the answer goes to the root context; the module switches to the stream itself
    [answer] = host.trace.callbacks("proxy_on_http_call_response")
    assert answer.context_id == host.root.id
    assert host.trace.host_calls("proxy_set_effective_context")[0].result_name == "OK"


def test_callout_answered_by_a_handler(behaviours):
    with ProxyWasmHost(behaviours, http_call_handler=lambda call: Response(200, body=b"ok")) as host:
        result = host.http_request(headers={"x-test": "c"})
    assert ("x-auth-body", "ok") in result.request_headers.items()


def test_failed_callout(host):
    stream = host.start_request(headers={"x-test": "c"})
    host.answer_http_call(next(iter(host.pending_http_calls)), None)
    result = stream.finish()
    assert (result.status, result.response_details) == (503, "callout_failed")


def test_callout_timeout_is_a_504_answer(host):
    stream = host.start_request(headers={"x-test": "c"})
    host.advance_time(499)
    assert host.pending_http_calls
    host.advance_time(1)
    assert ("x-auth-status", "504") in stream.finish().request_headers.items()


def test_callout_to_an_unknown_cluster_is_refused_and_the_stream_waits(behaviours):
    with ProxyWasmHost(behaviours, clusters=["other"]) as host:
        result = host.http_request(headers={"x-test": "c"})
    assert host.trace.host_calls("proxy_http_call")[0].result_name == "BAD_ARGUMENT"
    assert result.stalled_at == "proxy_on_request_headers" and result.response is None


def test_pause_for_good_stalls_but_the_stream_still_ends(host):
    result = host.http_request(headers={"x-test": "p"})
    assert result.stalled_at == "proxy_on_request_headers"
    assert [r.name for r in result.calls if r.depth == 0][-2:] == ["proxy_on_done", "proxy_on_delete"]


def test_metrics_timer_and_queue(host):
    host.http_request()
    host.http_request(headers={"x-test": "q"})
    host.advance_time(250)
    assert host.metrics.values() == {"behaviours_requests": 2, "behaviours_ticks": 2, "behaviours_gauge": 7}
    assert host.metrics["behaviours_ticks"].type == "counter"
    assert host.logs.messages() == ["configured", "job"]  # the queue item, logged by proxy_on_queue_ready
    assert host.logs[0].callback == "proxy_on_configure"


def test_trap_fails_the_stream_and_the_vm(host):
    result = host.http_request(headers={"x-test": "x"})
    assert (result.status, result.body, result.response_details) == (503, b"", "wasm_fail_stream")
    assert result.failure.kind == "trap" and result.failure.callback == "proxy_on_request_headers"
    assert result.failure.trap_code == "UNREACHABLE" and result.failure.backtrace
    later = host.http_request()
    assert later.status == 503 and not later.calls  # FAIL_CLOSED: the module is not called again


@pytest.mark.parametrize(
    ("policy", "crash_status", "later_status"),
    [("FAIL_OPEN", 503, 200), ("FAIL_OPEN_LEGACY", 200, 200), ("FAIL_CLOSED", 503, 503)],
)
def test_failure_policies(behaviours, policy, crash_status, later_status):
    # measured on Envoy 1.36-1.40: FAIL_OPEN still fails the crashing stream, fail_open: true does not
    with ProxyWasmHost(behaviours, failure_policy=policy) as host:
        assert host.http_request(headers={"x-test": "x"}).status == crash_status
        later = host.http_request()
        assert later.status == later_status
        assert later.bypassed == (FailurePolicy.parse(policy) is not FailurePolicy.FAIL_CLOSED)


def test_fail_reload_after_the_backoff(behaviours):
    with ProxyWasmHost(behaviours, failure_policy="FAIL_RELOAD", reload_backoff_ms=1000) as host:
        host.http_request(headers={"x-test": "x"})
        assert host.http_request().status == 503
        host.advance_time(1000)
        fresh = host.http_request()
        assert fresh.status == 200 and fresh.response_headers["x-behaviours"] == "yes"
        assert host.reloads == {"success": 1, "failure": 0, "backoff": 1}
        assert host.metrics["behaviours_requests"].value == 2  # stats outlive the VM


def test_fail_reload_times_the_backoff_from_the_vms_start_as_envoy_does(behaviours):
    """docs/host-facts.md: a trap long after the VM started is reloaded at once; a trap right after a
    reload waits for the back-off (measured on 1.36.2 and 1.40.0)."""
    with ProxyWasmHost(behaviours, failure_policy="FAIL_RELOAD", reload_backoff_ms=1000) as host:
        host.advance_time(1500)  # the VM has run longer than the back-off
        assert host.http_request(headers={"x-test": "x"}).status == 503  # the trap
        assert host.http_request().status == 200  # a fresh VM at once
        assert host.http_request(headers={"x-test": "x"}).status == 503  # traps right after its start
        assert host.http_request().status == 503  # refused: within the back-off
        host.advance_time(1000)
        assert host.http_request().status == 200
        assert host.reloads == {"success": 2, "failure": 0, "backoff": 1}


def test_budget_stops_an_endless_callback(host_module):
    with ProxyWasmHost(host_module("busy_loop"), fuel_per_callback=2_000_000) as host:
        result = host.http_request()
    assert result.status == 503
    assert result.failure.kind == "budget" and result.failure.callback == "proxy_on_request_headers"
    assert "2000000 instructions" in result.failure.message


def test_injected_status_reaches_the_module(host):
    host.inject_status("proxy_get_header_map_value", "NOT_FOUND", times=1)
    result = host.http_request(headers={"x-test": "l"})
    assert result.status == 200  # the module never saw x-test: l
    assert "injected" in host.trace.host_calls("proxy_get_header_map_value")[0].notes


def test_report_shows_the_calls(host):
    host.http_request(headers={"x-test": "x"})
    report = host.report()
    assert "failure: proxy_on_request_headers (context 2): trap: wasm trap: wasm `unreachable`" in report
    assert "-> proxy_on_request_headers" in report.split("last calls:")[1]
