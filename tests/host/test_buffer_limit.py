"""Envoy's per-filter buffer limit (the connection buffer limit, 1 MiB by default), in Envoy and in the
host: a module that holds the request body may hold 1 MiB; one byte more is a 413 and nothing goes
upstream. A held response body over the limit, once its headers went out, resets the stream."""

from __future__ import annotations

import httpx
import pytest

from pytest_wasmhub.envoy import EnvoySpec, ProcessRunner, resolve_envoy_binary
from pytest_wasmhub.host import ProxyWasmHost, Response
from pytest_wasmhub.module import load_module
from pytest_wasmhub.upstream import Upstream

LIMIT = 1 << 20
CHUNK = 64 * 1024  # the host gets the body in pieces, as Envoy reads it from the socket


@pytest.fixture(scope="module")
def envoy_answers(tmp_path_factory, request) -> dict[str, tuple]:
    workdir = tmp_path_factory.mktemp("buffer-limit")
    module = load_module(request.path.parent / "modules" / "buffer_bodies.wat", workdir).path
    answers = {}
    with Upstream() as upstream:
        envoy = ProcessRunner(resolve_envoy_binary(None)).start(
            EnvoySpec.for_module(module, upstream=upstream.address), workdir
        )
        try:
            with httpx.Client(base_url=envoy.url, timeout=10) as client:
                for size in (LIMIT, LIMIT + 1):
                    upstream.clear()
                    reply = client.post("/limit", content=b"a" * size)
                    answers[f"request {size}"] = (
                        reply.status_code,
                        reply.content[:17],
                        len(upstream.requests),
                    )
                upstream.respond_with(body=b"b" * (LIMIT + 1))
                try:
                    client.get("/limit")
                    answers["response"] = "answered"
                except httpx.RemoteProtocolError:
                    answers["response"] = "reset"
        finally:
            envoy.stop()
    return answers


def test_a_held_request_body_over_the_limit_is_413_in_both(envoy_answers, host_module):
    host = ProxyWasmHost(host_module("buffer_bodies"), upstream=lambda r: Response(200, {}, r.body)).start()
    for size in (LIMIT, LIMIT + 1):
        result = host.http_request("POST", "/limit", body=b"a" * size, chunk_size=CHUNK)
        host_answer = (result.status, (result.body or b"")[:17], int(result.upstream_request is not None))
        assert host_answer == envoy_answers[f"request {size}"], size
    assert envoy_answers[f"request {LIMIT + 1}"][0] == 413


def test_a_held_response_body_over_the_limit_resets_the_stream_in_both(envoy_answers, host_module):
    host = ProxyWasmHost(host_module("buffer_bodies"), response_chunk_size=CHUNK).start()
    result = host.http_request("GET", "/limit", upstream=Response(200, {}, b"b" * (LIMIT + 1)))
    assert envoy_answers["response"] == "reset"
    assert (
        result.reset and result.response is None and result.response_details == "response_payload_too_large"
    )
