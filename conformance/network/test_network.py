"""The module as a network (TCP) filter: ``envoy.filters.network.wasm`` before ``tcp_proxy`` to a
recording echo upstream. Bytes must pass both ways without a trap; what the module changed in the byte
stream is recorded. Judged by what came back and Envoy's own failure lines, never the module's log."""

from __future__ import annotations

import contextlib
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.connections import ConnectionOutcome, exchange_bytes
from pytest_wasmhub.envoy.bootstrap import KIND_TEMPLATES
from pytest_wasmhub.expect import start_envoy
from pytest_wasmhub.tcp_upstream import RESET_REQUEST

NO_TRAP = (
    "A network filter passes bytes both ways without a trap in proxy_on_new_connection, "
    "proxy_on_downstream_data or proxy_on_upstream_data, and lets the connection end when its peers end it"
)
REFERENCE = "https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#tcp-streams"


@pytest.fixture
def network_envoy(network_filter_module, envoy_factory):
    return start_envoy(envoy_factory, network_filter_module, template=KIND_TEMPLATES["network"], reuse=True)


def _judge(outcome: ConnectionOutcome, what: str, request, tcp_upstream) -> None:
    changes = []
    if tcp_upstream.received and len(tcp_upstream.received) != outcome.sent:
        changes.append(f"bytes to the upstream: {outcome.sent} -> {len(tcp_upstream.received)}")
    if len(outcome.received) != len(tcp_upstream.received):
        changes.append(f"bytes back to the client: {len(tcp_upstream.received)} -> {len(outcome.received)}")
    request.node.user_properties.append(("wasm_stream_changes", "; ".join(changes) or "no size change"))
    if outcome.failed:
        pytest.fail(outcome.reason(what), pytrace=False)
    if outcome.ended != "closed" or not outcome.received:
        pytest.fail(outcome.reason(what) + " (expected the echo back, then the close)", pytrace=False)


@case(
    "NETWORK-DATA-001",
    area="network",
    level=MUST,
    title="Bytes pass both ways through the network filter",
    spec=f"{NO_TRAP}: a short message sent and half-closed comes back from the upstream, and the "
    "connection closes.",
    reference=REFERENCE,
)
def test_bytes_both_ways(network_envoy, tcp_upstream, wasmhub_settings, request):
    outcome = exchange_bytes(
        network_envoy, b"hello through the module\n" * 4, timeout=wasmhub_settings.request_timeout
    )
    _judge(outcome, "a 100-byte message", request, tcp_upstream)


@case(
    "NETWORK-LARGE-001",
    area="network",
    level=MUST,
    title="A megabyte passes both ways",
    spec=f"{NO_TRAP}: 1 MiB sent in one go comes back (data callbacks run over many chunks).",
    reference=REFERENCE,
)
def test_large_data(network_envoy, tcp_upstream, wasmhub_settings, request):
    data = bytes(range(256)) * 4096
    outcome = exchange_bytes(network_envoy, data, timeout=wasmhub_settings.request_timeout)
    _judge(outcome, "1 MiB of data", request, tcp_upstream)


@case(
    "NETWORK-MANY-001",
    area="network",
    level=MUST,
    title="Many connections at once",
    spec=f"{NO_TRAP}: 16 connections at once, each with its own data, all come back.",
    reference=REFERENCE + " (one stream context per connection)",
)
def test_many_connections(network_envoy, tcp_upstream, wasmhub_settings, request):
    def one(i: int) -> ConnectionOutcome:
        return exchange_bytes(
            network_envoy, f"connection {i}\n".encode() * 8, timeout=wasmhub_settings.request_timeout
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(one, range(16)))
    bad = [o for o in outcomes if o.failed or o.ended != "closed" or not o.received]
    if bad:
        pytest.fail(
            f"{len(bad)} of 16 connections failed; first: {bad[0].reason('a connection')}", pytrace=False
        )


@case(
    "NETWORK-CLOSE-001",
    area="network",
    level=MUST,
    title="Resets and early closes from the client",
    spec="A network filter must not trap when a client resets its connection mid-stream or closes it "
    "before sending anything, or when the upstream resets its side; the listener then still serves "
    "connections.",
    reference=REFERENCE + " (proxy_on_downstream_connection_close)",
)
def test_resets_and_early_closes(network_envoy, tcp_upstream, wasmhub_settings, request):
    for _ in range(3):
        with network_envoy.tcp() as sock, contextlib.suppress(OSError):  # Envoy may close it first
            sock.sendall(b"partial data, then a reset")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        with network_envoy.tcp():
            pass  # closed before sending anything
    reset = exchange_bytes(network_envoy, RESET_REQUEST + b"\n", timeout=wasmhub_settings.request_timeout)
    if reset.failed:
        pytest.fail(reset.reason("data the upstream answers with a reset"), pytrace=False)
    outcome = exchange_bytes(network_envoy, b"after the resets\n", timeout=wasmhub_settings.request_timeout)
    _judge(outcome, "a message after 7 aborted connections", request, tcp_upstream)
    failures = [e.first_line for e in network_envoy.log_entries() if e.is_envoy_wasm_failure]
    assert not failures, "aborted connections made the module fail in Envoy: " + " | ".join(failures[:3])
