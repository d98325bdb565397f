"""Ordinary HTTP through the module: methods, bodies, protocols, concurrency. The module must not trap
or log a Wasm error; what it changed is recorded for the author (the ``wasm_module_changes`` property)."""

from __future__ import annotations

import asyncio

import httpx

from pytest_wasmhub.cases import MUST, SHOULD, case
from pytest_wasmhub.httpclient import plain_async_client

NO_TRAP = "Every HTTP callback returns without a trap and without logging a Wasm error"
LARGE = 4 * 1024 * 1024


def _record(request, changes) -> None:
    # user_properties directly: record_property warns under JUnit's xunit2 format
    request.node.user_properties.append(("wasm_module_changes", "; ".join(changes.lines())))
    print("what the module changed:", *changes.lines(), sep="\n  ")


@case(
    "TRAFFIC-GET-001",
    area="traffic",
    level=MUST,
    title="A GET passes through the module",
    spec=f"{NO_TRAP} for a plain GET; Envoy answers it.",
    reference="shared/reference/crash.md §7.1 (a trap fails the stream with a local 503)",
)
def test_get(traffic, request):
    response, changes = traffic.observe("GET", "/conformance/get?q=1", headers={"accept": "text/plain"})
    _record(request, changes)
    assert response.status_code < 500 or changes.status is None, f"GET answered {response.status_code}"


@case(
    "TRAFFIC-FORWARD-001",
    area="traffic",
    level=SHOULD,
    title="A plain GET reaches the upstream",
    spec="A filter forwards an ordinary request to the upstream unless its configuration says otherwise; "
    "a module that answers every request itself is not a filter but a responder.",
    reference="proxy-wasm spec v0.2.1 §HTTP streams (Continue lets the stream proceed)",
)
def test_forward(traffic, request):
    response, changes = traffic.observe("GET", "/conformance/forward")
    _record(request, changes)
    assert changes.reached_upstream, (
        f"the module answered the request itself (HTTP {response.status_code}) instead of forwarding it; "
        "if that is what this configuration should do, give the suite one that forwards (--wasm-config)"
    )


@case(
    "TRAFFIC-POST-001",
    area="traffic",
    level=MUST,
    title="A POST with a small body passes through",
    spec=f"{NO_TRAP} for a POST with a small body (request body callbacks run).",
    reference="proxy-wasm spec v0.2.1 proxy_on_request_body",
)
def test_post_small_body(traffic, request):
    _, changes = traffic.observe(
        "POST",
        "/conformance/post",
        content=b'{"hello": "wasm"}',
        headers={"content-type": "application/json"},
    )
    _record(request, changes)


@case(
    "TRAFFIC-BODY-001",
    area="traffic",
    level=MUST,
    title="Large bodies pass through",
    spec=f"{NO_TRAP} for a 4 MiB request body echoed back as a 4 MiB response body (body callbacks run "
    "over many chunks).",
    reference="proxy-wasm spec v0.2.1 proxy_on_request_body / proxy_on_response_body",
)
def test_large_bodies(traffic, request):
    body = bytes(range(256)) * (LARGE // 256)
    response, changes = traffic.observe("POST", "/conformance/large", content=body)
    _record(request, changes)
    assert response.status_code < 500, f"a 4 MiB POST got HTTP {response.status_code}"


@case(
    "TRAFFIC-CHUNKED-001",
    area="traffic",
    level=MUST,
    title="A chunked request body passes through",
    spec=f"{NO_TRAP} for a request body sent with chunked transfer encoding, in 64 chunks.",
    reference="RFC 9112 §7.1; proxy-wasm spec v0.2.1 proxy_on_request_body (end_of_stream)",
)
def test_chunked_body(traffic):
    chunks = (bytes([65 + i % 26]) * 4096 for i in range(64))
    response = traffic.send("POST", "/conformance/chunked", content=chunks)
    assert response.status_code < 500, f"a chunked POST got HTTP {response.status_code}"
    seen = traffic.upstream.requests
    if seen and seen[-1].path == "/conformance/chunked" and response.status_code == 200:
        assert len(seen[-1].body) > 0, "the upstream got an empty body for a chunked upload of 256 KiB"


@case(
    "TRAFFIC-H2-001",
    area="traffic",
    level=MUST,
    title="HTTP/2 requests pass through",
    spec=f"{NO_TRAP} for GET and POST over HTTP/2 (cleartext, prior knowledge).",
    reference="Envoy HttpConnectionManager codec_type AUTO",
)
def test_http2(traffic):
    for method, content in (("GET", None), ("POST", b"h2 body")):
        response = traffic.send(method, "/conformance/h2", content=content, http2=True)
        assert response.http_version == "HTTP/2", f"Envoy answered over {response.http_version}"


@case(
    "TRAFFIC-CONCURRENT-001",
    area="traffic",
    level=MUST,
    title="Many concurrent streams pass through",
    spec=f"{NO_TRAP} for 64 concurrent HTTP/2 streams on one connection and 16 concurrent HTTP/1.1 "
    "connections; every stream is answered.",
    reference="proxy-wasm spec v0.2.1 §Contexts (one HTTP context per stream)",
)
def test_concurrent_streams(traffic):
    traffic.send("GET", "/conformance/concurrent/first")
    errors_before = len(traffic.envoy.wasm_errors())
    # 80 streams share one worker: bound the batch, not each stream, by the request timeout
    bound = traffic.timeout * 5
    outcomes = asyncio.run(_concurrent_streams(traffic.envoy.url, bound))
    unanswered = [o for o in outcomes if isinstance(o, BaseException)]
    if unanswered:
        traffic.assert_alive("80 concurrent streams")
    assert not unanswered, (
        f"{len(unanswered)} of 80 concurrent streams got no answer within {bound:g} s: {unanswered[0]!r}"
    )
    errors = traffic.envoy.wasm_errors()[errors_before:]
    assert not errors, "concurrent streams made the module fail in Envoy: " + " | ".join(errors[:3])


async def _concurrent_streams(url: str, bound: float) -> list[object]:
    """64 streams multiplexed on one HTTP/2 connection and 16 HTTP/1.1 connections, all at once."""
    h2 = plain_async_client(url, http2=True, timeout=bound)
    h1 = plain_async_client(url, timeout=bound, limits=httpx.Limits(max_connections=16))
    async with h2, h1:
        requests = [h2.get(f"/conformance/concurrent/h2/{i}") for i in range(64)]
        requests += [h1.get(f"/conformance/concurrent/h1/{i}") for i in range(16)]
        return await asyncio.gather(*requests, return_exceptions=True)
