"""A gRPC-calling filter built with the Rust SDK (tests/rust/modules/grpc_callout): Envoy and the
in-process host give it the same answer for each way the cluster can be configured, and the suite's
host cases pass it with a real gRPC upstream (grpcio)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

AUTHOR_TEST = """
def test_envoy_and_host_give_the_same_answer(envoy, upstream, proxy_wasm_host):
    assert envoy.http.get("/ask").status_code == 200
    through_envoy = {k.lower(): v for k, v in upstream.last_request.headers if k.lower().startswith("x-grpc")}
    in_host = proxy_wasm_host.http_request("GET", "/ask")
    in_host_headers = {k: v for k, v in in_host.request_headers.items() if k.startswith("x-grpc")}
    print("ANSWERS", through_envoy, in_host_headers)
    assert through_envoy == in_host_headers == EXPECTED
"""


def run_pytest(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        # HTTP/2 to the gRPC server: the answer reaches the module
        ("grpc://{server}", {"x-grpc-reply": "pong:ping"}),
        # HTTP/1.1 to a gRPC server (which speaks only HTTP/2): Envoy answers UNAVAILABLE (14)
        ("{server}", {"x-grpc-status": "14"}),
        # no address: the suite's HTTP upstream, whose 200 is not gRPC: UNKNOWN (2)
        ("", {"x-grpc-status": "2"}),
    ],
    ids=["grpc-cluster", "http1-cluster", "to-the-upstream"],
)
def test_envoy_and_the_host_agree_on_each_cluster_form(
    rust_test_module, grpc_upstream, tmp_path, address, expected
):
    (tmp_path / "test_ask.py").write_text(f"EXPECTED = {expected!r}\n" + AUTHOR_TEST)
    cluster = "grpc_backend" + (f"={address.format(server=grpc_upstream)}" if address else "")
    done = run_pytest(
        [f"--wasm={rust_test_module('grpc_callout')}", f"--envoy-cluster={cluster}", "--wasm-no-conformance",
         "-s", "test_ask.py"],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_suite_passes_it_with_a_grpc_upstream(rust_test_module, grpc_upstream, tmp_path):
    report = tmp_path / "report.json"
    done = run_pytest(
        [f"--wasm={rust_test_module('grpc_callout')}", f"--envoy-cluster=grpc_backend=grpc://{grpc_upstream}",
         f"--wasm-report={report}"],
        tmp_path,
    )  # fmt: skip
    assert report.exists(), done.stdout[-3000:] + done.stderr[-2000:]
    outcomes = {r["case"]["id"]: r["outcome"] for r in json.loads(report.read_text())["results"]}
    assert outcomes["HOST-LIFECYCLE-001"] == "pass", done.stdout[-3000:]
    must_failures = [
        r["case"]["id"]
        for r in json.loads(report.read_text())["results"]
        if r["case"]["level"] == "MUST" and r["outcome"] not in ("pass", "not_applicable")
    ]
    assert must_failures == [], done.stdout[-3000:]
