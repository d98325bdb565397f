"""h2load for real against a real Envoy: what the parser reads must agree with Envoy's own counters."""

from __future__ import annotations

import os
import socket
import time

import pytest
from bench_test_support import children, command_name

from pytest_wasmhub.bench import LoadGeneratorError, LoadSpec, find_h2load, run_load
from pytest_wasmhub.bench.loadgen import parse_summary


def _counters(origin, *names):
    stats = origin.stats()
    return {name: stats.get(f"http.origin.{name}", 0) for name in names}


def _deltas(before, after):
    return {name: after[name] - before[name] for name in before}


def test_http1_run_agrees_with_the_origins_counters(origin, tmp_path):
    names = ("downstream_rq_2xx", "downstream_cx_http1_total", "downstream_cx_http2_total")
    before = _counters(origin, *names)
    run = run_load(
        LoadSpec(origin.listeners["origin"] + "/", "h1", connections=3, requests=300, duration=None),
        find_h2load(),
        tmp_path,
    )
    seen = _deltas(before, _counters(origin, *names))
    assert seen == {"downstream_rq_2xx": 300, "downstream_cx_http1_total": 3, "downstream_cx_http2_total": 0}
    assert (run.protocol, run.total, run.succeeded, run.failed) == ("h1", 300, 300, 0)
    assert run.status_classes["2xx"] == 300 and run.non_2xx == 0
    assert run.responses_logged == 300
    assert run.requests_per_second > 0 and 0 < run.seconds < 30
    latency = run.latency
    assert 0 < latency.p50 <= latency.p90 <= latency.p99
    # the percentiles come from the request log, min/mean/max from h2load's summary, which rounds to
    # 10 us above 1 ms: the two sources agree, in the same unit
    assert latency.min * 0.99 - 1 <= latency.p50 and latency.p99 <= latency.max * 1.01 + 1
    assert latency.min * 0.99 - 1 <= latency.mean <= latency.max * 1.01 + 1


def test_http2_run_with_a_body_posts_it_over_http2(origin, tmp_path):
    body = tmp_path / "body.bin"
    body.write_bytes(b"b" * 5000)
    names = ("downstream_rq_2xx", "downstream_cx_http2_total", "downstream_cx_rx_bytes_total")
    before = _counters(origin, *names)
    spec = LoadSpec(
        origin.listeners["origin"] + "/",
        "h2",
        connections=2,
        streams=4,
        requests=200,
        duration=None,
        body=body,
    )
    run = run_load(spec, find_h2load(), tmp_path)
    seen = _deltas(before, _counters(origin, *names))
    assert seen["downstream_rq_2xx"] == 200 and seen["downstream_cx_http2_total"] == 2
    assert seen["downstream_cx_rx_bytes_total"] >= 200 * 5000
    assert (run.protocol, run.succeeded, run.responses_logged) == ("h2", 200, 200)
    assert list(tmp_path.glob("h2load-*")) == [], "the request log is removed after each run"


def test_a_timed_run_lasts_its_duration(origin, tmp_path):
    started = time.monotonic()
    run = run_load(LoadSpec(origin.listeners["origin"] + "/", duration=0.5), find_h2load(), tmp_path)
    assert 0.4 <= run.seconds <= 1.5
    assert time.monotonic() - started < 10
    assert run.succeeded == run.responses_logged > 0


def test_requests_to_a_closed_port_fail_without_responses(tmp_path):
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/"
        run = run_load(LoadSpec(url, connections=1, requests=3, duration=None), find_h2load(), tmp_path)
    assert (run.succeeded, run.failed, run.responses_logged) == (0, 3, 0)


def test_h2load_is_killed_at_the_time_limit(origin, tmp_path):
    spec = LoadSpec(origin.listeners["origin"] + "/", duration=60, time_limit=1.0)
    started = time.monotonic()
    with pytest.raises(LoadGeneratorError, match=r"did not finish within 1 s and was stopped"):
        run_load(spec, find_h2load(), tmp_path)
    assert time.monotonic() - started < 10
    assert [pid for pid in children(os.getpid()) if command_name(pid) == "h2load"] == []


def test_a_missing_h2load_names_the_package(tmp_path, monkeypatch):
    with pytest.raises(LoadGeneratorError, match="apt-get install nghttp2-client"):
        find_h2load(tmp_path / "h2load")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LoadGeneratorError, match=r"h2load is not on PATH; .*apt-get install nghttp2-client"):
        find_h2load()


def test_output_without_a_summary_is_an_error():
    with pytest.raises(LoadGeneratorError, match="h2load printed no summary"):
        parse_summary("starting benchmark...\n")
