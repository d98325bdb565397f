"""gRPC calls in the in-process host, against a real gRPC server (grpcio) on loopback."""

from __future__ import annotations

import json
import subprocess
import sys

from pytest_wasmhub.host import ProxyWasmHost
from pytest_wasmhub.host.grpc_upstream import GrpcForwarder
from pytest_wasmhub.resources import conformance_dir


def _host(module, **options) -> ProxyWasmHost:
    return ProxyWasmHost(module, **options).start()


def test_a_call_reaches_the_grpc_server_and_its_answer_the_module(host_module, grpc_upstream):
    host = _host(host_module("grpc_callout"), clusters=["grpc_backend"],
                 grpc_call_handler=GrpcForwarder({"grpc_backend": grpc_upstream}))  # fmt: skip
    result = host.http_request("GET", "/grpc")
    assert result.request_headers["x-grpc-reply"] == "pong:ping", host.report()
    assert not host.pending_grpc_calls


def test_a_failed_call_closes_with_the_servers_status(host_module, grpc_upstream):
    host = _host(
        host_module("grpc_callout"),
        clusters=["grpc_backend"],
        grpc_call_handler=GrpcForwarder({"grpc_backend": "127.0.0.1:9"}),
    )  # nothing listens there
    result = host.http_request("GET", "/grpc")
    assert result.request_headers["x-grpc-close"] == "e", host.report()  # 14 UNAVAILABLE


def test_an_unknown_cluster_is_internal_failure_as_in_envoy(host_module):
    host = _host(host_module("grpc_callout"), clusters=["upstream"])
    result = host.http_request("GET", "/grpc")
    assert result.failure is not None and result.status == 503  # the module traps on the refusal
    call = next(r for r in host.trace.since(0) if r.name == "proxy_grpc_call")
    assert call.result_name == "INTERNAL_FAILURE"


def test_an_unanswered_call_times_out_with_deadline_exceeded(host_module):
    host = _host(host_module("grpc_callout"), clusters=["grpc_backend"])
    stream = host.start_request("GET", "/grpc")
    assert stream.waiting_on == "proxy_on_request_headers" and len(host.pending_grpc_calls) == 1
    host.advance_time(2000)
    assert stream.finish().request_headers["x-grpc-close"] == "4"


def test_a_grpc_filter_passes_the_lifecycle_case_with_a_grpc_upstream(tmp_path, host_module, grpc_upstream):
    report = tmp_path / "report.json"
    command = [
        sys.executable, "-m", "pytest", str(conformance_dir() / "host"), f"--wasm={host_module('grpc_callout')}",
        f"--envoy-cluster=grpc_backend=grpc://{grpc_upstream}", "--wasm-no-conformance", f"--wasm-report={report}",
        "-p", "no:cacheprovider", "-q", "-k", "plain_requests",
    ]  # fmt: skip
    subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=300, check=False)
    outcomes = {r["case"]["id"]: r["outcome"] for r in json.loads(report.read_text())["results"]}
    assert outcomes == {"HOST-LIFECYCLE-001": "pass"}


def test_a_stream_sends_its_messages_and_gets_each_answer(host_module, grpc_upstream):
    host = _host(host_module("grpc_stream"), clusters=["grpc_backend"],
                 grpc_call_handler=GrpcForwarder({"grpc_backend": grpc_upstream}))  # fmt: skip
    result = host.http_request("GET", "/stream")
    assert result.request_headers.get_all("x-grpc-message") == ["re:a", "re:b"], host.report()
    assert result.request_headers["x-grpc-close"] == "0"
