"""Network (TCP) streams in the in-process host, and the same bytes through a real Envoy's network
filter: what reaches the upstream, what comes back, and a trap, agree."""

from __future__ import annotations

import pytest

from pytest_wasmhub.connections import exchange_bytes
from pytest_wasmhub.host import ProxyWasmHost
from pytest_wasmhub.probes import probes_dir


def _host(probe: str) -> ProxyWasmHost:
    return ProxyWasmHost(probes_dir() / f"{probe}.wat").start()


def test_bytes_pass_through_the_module_both_ways():
    host = _host("network_uppercase")
    connection = host.tcp_connection()
    assert connection.send(b"hello wasm") == b"HELLO WASM"
    assert bytes(connection.to_upstream) == b"HELLO WASM"
    connection.close()
    called = [r.name for r in host.trace.records if r.name.startswith("proxy_on_") and "memory" not in r.name]
    # in Envoy's order (the probe exports no proxy_on_delete: the host records only what it calls)
    assert called[-6:] == [
        "proxy_on_new_connection",
        "proxy_on_downstream_data",
        "proxy_on_upstream_data",
        "proxy_on_downstream_connection_close",
        "proxy_on_upstream_connection_close",
        "proxy_on_done",
    ]


def test_a_trap_ends_the_connection():
    connection = _host("network_trap_on_data").tcp_connection()
    assert connection.send(b"data") == b""
    assert connection.failure is not None and connection.failure.callback == "proxy_on_downstream_data"


@pytest.mark.parametrize("probe", ["network_uppercase", "network_trap_on_data"])
def test_the_host_and_envoy_agree(envoy_factory, tcp_upstream, probe):
    data = b"the same bytes through both\n"
    in_host = _host(probe).tcp_connection()
    host_answer = in_host.send(data, end_of_stream=True)
    envoy = envoy_factory(probes_dir() / f"{probe}.wat", kind="network")
    through_envoy = exchange_bytes(envoy, data, timeout=5.0)
    assert through_envoy.received == host_answer
    assert tcp_upstream.received == bytes(in_host.to_upstream)
    assert (through_envoy.trap is None) == (in_host.failure is None)
    if in_host.failure is not None:
        assert through_envoy.trap.callback == in_host.failure.callback
