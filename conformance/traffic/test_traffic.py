"""Ordinary HTTP through the module: methods, bodies, protocols, concurrency. Each request is judged by
Envoy's record of it: the module must not trap, leave its VM failed, hang the request or make Envoy
reset it. An answer the module gives itself (a 403, a 503 of its own) is its right; what it changed is
recorded for the author and the reports."""

from __future__ import annotations

from pytest_wasmhub.cases import MUST, SHOULD, case
from pytest_wasmhub.traffic import Stream

NO_TRAP = (
    "Every HTTP callback returns without a trap, the VM stays healthy, the request is not held forever "
    "and Envoy does not have to reset it"
)
REFERENCE = "docs/host-facts.md#a-trap-fails-the-stream; docs/host-facts.md#envoy-records-each-request"
LARGE = 4 * 1024 * 1024


@case(
    "TRAFFIC-GET-001",
    area="traffic",
    level=MUST,
    title="A GET passes through the module",
    spec=f"{NO_TRAP} for a plain GET; Envoy answers it.",
    reference=REFERENCE,
)
def test_get(traffic):
    traffic.observe("GET", "/conformance/get?q=1", headers={"accept": "text/plain"})


@case(
    "TRAFFIC-FORWARD-001",
    area="traffic",
    level=SHOULD,
    title="A plain GET reaches the upstream",
    spec="A filter forwards an ordinary request to the upstream unless its configuration says otherwise; "
    "a module that answers every request itself is not a filter but a responder.",
    reference="https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#http-streams",
)
def test_forward(traffic):
    response, changes = traffic.observe("GET", "/conformance/forward")
    assert changes.reached_upstream, (
        f"expected the suite's GET to reach the upstream; the module answered it itself (HTTP "
        f"{response.status_code}, details {traffic.outcomes[-1].record.details if traffic.outcomes[-1].record else '?'!r}"
        "); if that is what this configuration should do, give the suite one that forwards (--wasm-config)"
    )


@case(
    "TRAFFIC-POST-001",
    area="traffic",
    level=MUST,
    title="A POST with a small body passes through",
    spec=f"{NO_TRAP} for a POST with a small body (request body callbacks run).",
    reference="proxy-wasm spec v0.2.1 proxy_on_request_body (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1)",
)
def test_post_small_body(traffic):
    traffic.observe(
        "POST",
        "/conformance/post",
        content=b'{"hello": "wasm"}',
        headers={"content-type": "application/json"},
    )


@case(
    "TRAFFIC-BODY-001",
    area="traffic",
    level=MUST,
    title="Large bodies pass through",
    spec=f"{NO_TRAP} for a 4 MiB request body echoed back as a 4 MiB response body (body callbacks run "
    "over many chunks).",
    reference="proxy-wasm spec v0.2.1 proxy_on_request_body / proxy_on_response_body (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1)",
)
def test_large_bodies(traffic):
    body = bytes(range(256)) * (LARGE // 256)
    traffic.observe("POST", "/conformance/large", content=body)


@case(
    "TRAFFIC-CHUNKED-001",
    area="traffic",
    level=MUST,
    title="A chunked request body passes through",
    spec=f"{NO_TRAP} for a request body sent with chunked transfer encoding, in 64 chunks.",
    reference="https://www.rfc-editor.org/rfc/rfc9112#section-7.1; proxy-wasm spec v0.2.1 proxy_on_request_body, end_of_stream (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1)",
)
def test_chunked_body(traffic):
    chunks = (bytes([65 + i % 26]) * 4096 for i in range(64))
    traffic.send("POST", "/conformance/chunked", content=chunks)
    outcome = traffic.outcomes[-1]
    seen = traffic.upstream_request(outcome)
    if seen is not None and outcome.status == 200:
        assert len(seen.body) > 0, "the upstream got an empty body for a chunked upload of 256 KiB"


@case(
    "TRAFFIC-H2-001",
    area="traffic",
    level=MUST,
    title="HTTP/2 requests pass through",
    spec=f"{NO_TRAP} for GET and POST over HTTP/2 (cleartext, prior knowledge).",
    reference="Envoy HttpConnectionManager codec_type AUTO (https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto)",
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
    reference="proxy-wasm spec v0.2.1 Contexts, one HTTP context per stream (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1)",
)
def test_concurrent_streams(traffic):
    traffic.send("GET", "/conformance/concurrent/first")
    # 80 streams share one worker: bound the batch, not each stream, by the request timeout
    streams = [Stream(f"/conformance/concurrent/h2/{i}", http2=True) for i in range(64)]
    streams += [Stream(f"/conformance/concurrent/h1/{i}") for i in range(16)]
    traffic.concurrently(streams, bound=traffic.timeout * 5)
