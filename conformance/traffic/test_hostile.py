"""Valid but unusual traffic: many and large headers, odd values and methods, clients that give up.
The module must not trap, hang or be reset; when it does, the case names the request and the cause in
Envoy's terms."""

from __future__ import annotations

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.traffic import close_early, reset_mid_body

SPEC = (
    "A filter must not trap, hang or make Envoy reset the stream on valid HTTP it did not expect: a trap "
    "fails the stream with a 503 and, without FAIL_RELOAD, leaves the plugin failed for every later "
    "request on that worker."
)
REFERENCE = "docs/host-facts.md#a-trap-fails-the-vm-for-the-worker"


@case(
    "HOSTILE-HEADERS-001",
    area="traffic",
    level=MUST,
    title="Many and large headers",
    spec=SPEC + " Here: 90 request headers, one of them 8 KiB, and a 16 KiB cookie.",
    reference=REFERENCE,
)
def test_many_and_large_headers(traffic):
    headers = [(f"x-hostile-{i}", f"value-{i}-" + "v" * 200) for i in range(88)]
    headers += [
        ("x-hostile-large", "L" * 8192),
        ("cookie", "; ".join(f"c{i}={'z' * 60}" for i in range(250))),
    ]
    traffic.send(
        "GET", "/conformance/hostile/headers", headers=headers, note="90 headers, 8 KiB and 16 KiB values"
    )
    traffic.send(
        "GET", "/conformance/hostile/headers", headers=headers, http2=True, note="the same over HTTP/2"
    )


@case(
    "HOSTILE-VALUES-001",
    area="traffic",
    level=MUST,
    title="Empty and odd header values, odd paths",
    spec=SPEC + " Here: empty header values, non-ASCII bytes in values, repeated headers, a 4 KiB path "
    "and a query with percent-encoded bytes.",
    reference=REFERENCE,
)
def test_odd_values(traffic):
    traffic.send(
        "GET",
        "/conformance/hostile/empty",
        headers=[("x-empty", ""), ("authorization", "")],
        note="empty header values",
    )
    traffic.send(
        "GET",
        "/conformance/hostile/bytes",
        headers=[(b"x-bytes", "café €".encode() + b" \xff\xfe")],
        note="non-ASCII bytes in a header value",
    )
    traffic.send(
        "GET",
        "/conformance/hostile/repeat",
        headers=[("x-dup", "1"), ("x-dup", "2"), ("x-dup", "3")],
        note="a repeated header",
    )
    traffic.send("GET", "/conformance/hostile/" + "p" * 4096, note="a 4 KiB path")
    traffic.send("GET", "/conformance/hostile/q?%00=%ff&a=%E2%82%AC&empty=&=x", note="an odd query string")


@case(
    "HOSTILE-METHODS-001",
    area="traffic",
    level=MUST,
    title="Unusual methods",
    spec=SPEC + " Here: HEAD, OPTIONS, PATCH, DELETE with a body, PUT with an empty body, and an extension "
    "method.",
    reference=REFERENCE,
)
def test_unusual_methods(traffic):
    traffic.send("HEAD", "/conformance/hostile/head")
    traffic.send("OPTIONS", "/conformance/hostile/options")
    traffic.send("PATCH", "/conformance/hostile/patch", content=b"[]")
    traffic.send("DELETE", "/conformance/hostile/delete", content=b"bye")
    traffic.send("PUT", "/conformance/hostile/put", content=b"")
    traffic.send("PURGE", "/conformance/hostile/purge", note="an extension method")


@case(
    "HOSTILE-RESET-001",
    area="traffic",
    level=MUST,
    title="Clients that reset or close early",
    spec=SPEC + " Here: a client resets its connection in the middle of a request body, another closes "
    "before its headers are complete; the module's listener then still serves requests.",
    reference=REFERENCE + "; proxy-wasm spec v0.2.1 proxy_on_done / proxy_on_delete",
)
def test_resets_and_early_closes(traffic):
    envoy = traffic.envoy
    traffic.send("GET", "/conformance/hostile/before-resets")
    mark = traffic.failure_mark()
    for _ in range(3):
        reset_mid_body(
            envoy, "/conformance/hostile/reset", declared=1 << 20, sent=1000, timeout=traffic.timeout
        )
        close_early(envoy, b"GET /conformance/hostile/early HTTP/1.1\r\nHost: wasm", timeout=traffic.timeout)
        close_early(
            envoy,
            b"POST /conformance/hostile/early HTTP/1.1\r\nHost: w\r\nContent-Length: 9\r\n\r\nabc",
            timeout=traffic.timeout,
        )
    failures = traffic.failures_since(mark)
    assert not failures, "aborted requests made the module fail in Envoy: " + " | ".join(failures[:3])
    traffic.send("GET", "/conformance/hostile/after-resets", note="after 9 aborted requests")
