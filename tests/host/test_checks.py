"""The library behind the host cases (``pytest_wasmhub.host.checks``)."""

from __future__ import annotations

from pytest_wasmhub.host.checks import STANDARD_TRAFFIC, conformance_host, first_calls


def test_the_host_cases_run_the_roots_ticks(behaviours):
    host = conformance_host(behaviours, clusters=["upstream"])
    functions = first_calls(host)
    ticks = [r for r in host.trace.since(0) if r.name == "proxy_on_tick"]
    assert len(ticks) == len(STANDARD_TRAFFIC)  # one after each request, as Envoy's timer fires between them
    in_ticks = {r.name for r in host.trace.since(0) if r.within == "proxy_on_tick"}
    assert in_ticks and in_ticks <= set(functions)
    host.close()
