"""Requests sent all at once (``batch.send_batch``, behind TRAFFIC-CONCURRENT-001 and
``Traffic.concurrently``): every answer arrives whole, over TCP and Unix sockets, and what goes wrong is
the httpx error the judges expect."""

from __future__ import annotations

import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from wasmhub_test_support import EXAMPLE_MODULE

from pytest_wasmhub.batch import BatchRequest, send_batch
from pytest_wasmhub.envoy import EnvoySpec, ProcessRunner
from pytest_wasmhub.envoy.accesslog import REQUEST_HEADER
from pytest_wasmhub.module import load_module
from pytest_wasmhub.upstream import Upstream

LARGE = bytes(range(256)) * 1200  # 300 KiB: beyond HTTP/2's initial 64 KiB window, in both directions


def batch_of(count_h2: int, count_h1: int) -> list[BatchRequest]:
    requests = [
        BatchRequest(f"/h2/{i}", ((REQUEST_HEADER, f"id-h2-{i}"),), http2=True) for i in range(count_h2)
    ]
    return requests + [BatchRequest(f"/h1/{i}", ((REQUEST_HEADER, f"id-h1-{i}"),)) for i in range(count_h1)]


@pytest.fixture
def short_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="wasmhub-test-", dir="/tmp") as directory:
        yield Path(directory)


@pytest.mark.parametrize("over", ["tcp", "unix"])
def test_every_stream_gets_its_whole_answer_through_the_module(envoy_binary, tmp_path, short_dir, over):
    module = load_module(EXAMPLE_MODULE, tmp_path)
    unix = over == "unix"
    with Upstream(**({"unix_socket": short_dir / "up.sock"} if unix else {})) as upstream:
        upstream.respond_with(body=LARGE)
        spec = EnvoySpec.for_module(
            module.path, upstream=upstream.address, socket_dir=str(short_dir) if unix else ""
        )
        with ProcessRunner(envoy_binary).start(spec, tmp_path) as envoy:
            requests = batch_of(24, 8)
            answers = send_batch(lambda: envoy.connect(timeout=10), "wasmhub", requests, bound=30)
            assert [type(a) for a in answers] == [httpx.Response] * len(requests), answers
            for request, answer in zip(requests, answers, strict=True):
                assert isinstance(answer, httpx.Response)
                assert answer.status_code == 200 and answer.content == LARGE
                assert answer.headers["x-wasmhub-example"] == "hello"  # the module's own header
                assert answer.http_version == ("HTTP/2" if request.http2 else "HTTP/1.1")
            # each request reached the upstream once, with its own id, through the module
            seen = sorted(r.header(REQUEST_HEADER) for r in upstream.requests)
            assert seen == sorted(dict(r.headers)[REQUEST_HEADER] for r in requests)
            assert all(r.header("x-wasmhub-seen") == "1" for r in upstream.requests)


def test_a_refused_connection_answers_each_of_its_requests_with_a_connect_error():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        address = closed.getsockname()  # bound, never listening: connecting is refused
        answers = send_batch(
            lambda: socket.create_connection(address, timeout=2), "x", batch_of(3, 2), bound=5
        )
    assert [type(a) for a in answers] == [httpx.ConnectError] * 5


def test_streams_nobody_answers_time_out_within_the_bound():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(32)  # accepts (in the kernel), never answers
        started = time.monotonic()
        answers = send_batch(
            lambda: socket.create_connection(silent.getsockname(), timeout=2), "x", batch_of(4, 3), bound=0.3
        )
        took = time.monotonic() - started
    assert [type(a) for a in answers] == [httpx.ReadTimeout] * 7
    assert 0.3 <= took < 2.0, took


def test_a_connection_closed_before_the_answer_is_a_protocol_error():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(32)

        def connect() -> socket.socket:
            client = socket.create_connection(server.getsockname(), timeout=2)
            accepted, _ = server.accept()
            accepted.close()  # closes without a word
            return client

        answers = send_batch(connect, "x", batch_of(2, 2), bound=5)
    assert [type(a) for a in answers] == [httpx.RemoteProtocolError] * 4, answers
