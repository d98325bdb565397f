"""Author tests of byte_counter, a network (TCP) filter.

    pytest --wasm target/wasm32-wasip1/release/byte_counter.wasm byte_counter/tests/

In the in-process host the counters it defines at start-up are checked; through a real Envoy (the
``envoy`` fixture runs a network filter as one, before ``tcp_upstream``) bytes pass both ways and are
counted.
"""

from __future__ import annotations

import socket
import time

COUNTERS = ("byte_counter.downstream_bytes", "byte_counter.upstream_bytes")


def test_the_counters_exist_from_start_up(proxy_wasm_host):
    for name in COUNTERS:
        assert proxy_wasm_host.metrics[name].type == "counter"
        assert proxy_wasm_host.metrics[name].value == 0


def test_start_up_logs_no_error(proxy_wasm_host):
    assert proxy_wasm_host.logs.messages("error") == []
    assert proxy_wasm_host.failures == []


def _counter(envoy, name: str, at_least: int, timeout: float = 3.0) -> int:
    """The filter's counter as Envoy's admin shows it (Envoy may add a prefix to module metrics)."""
    deadline = time.monotonic() + timeout
    while True:
        value = next((v for k, v in envoy.stats().items() if k.endswith(name)), 0)
        if value >= at_least or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_bytes_pass_both_ways_and_are_counted(envoy, tcp_upstream):
    # the module runs as a network filter (its kind): envoy.tcp() goes through it to tcp_upstream
    with envoy.tcp() as connection:
        connection.sendall(b"twelve bytes")
        connection.shutdown(socket.SHUT_WR)
        echoed = b""
        while chunk := connection.recv(4096):
            echoed += chunk
    assert echoed == b"twelve bytes"
    assert tcp_upstream.received == b"twelve bytes"
    assert _counter(envoy, "byte_counter.downstream_bytes", 12) == 12
    assert _counter(envoy, "byte_counter.upstream_bytes", 12) == 12
    assert envoy.wait_for_log(r"byte_counter: connection closed after 12 bytes in, 12 bytes out")


def test_counts_in_the_in_process_host(proxy_wasm_host):
    # no Envoy: a TCP stream straight through the module, to an echoing upstream
    connection = proxy_wasm_host.tcp_connection()
    assert connection.send(b"hello") == b"hello"
    connection.close()
    assert proxy_wasm_host.metrics["byte_counter.downstream_bytes"].value == 5
    assert proxy_wasm_host.metrics["byte_counter.upstream_bytes"].value == 5
    assert "byte_counter: connection closed after 5 bytes in, 5 bytes out" in proxy_wasm_host.logs.messages(
        "info"
    )
