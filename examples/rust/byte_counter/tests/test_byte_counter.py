"""Author tests of byte_counter, a network (TCP) filter.

    pytest --wasm target/wasm32-wasip1/release/byte_counter.wasm byte_counter/tests/

What runs today: the in-process host starts the VM as Envoy does, so the counters the filter defines
at start-up can be checked. Sending bytes through it needs a TCP listener with the module as a network
filter (an ``envoy.tcp()`` client and a ``tcp_upstream``), which the fixtures do not offer yet.
"""

from __future__ import annotations

COUNTERS = ("byte_counter.downstream_bytes", "byte_counter.upstream_bytes")


def test_the_counters_exist_from_start_up(proxy_wasm_host):
    for name in COUNTERS:
        assert proxy_wasm_host.metrics[name].type == "counter"
        assert proxy_wasm_host.metrics[name].value == 0


def test_start_up_logs_no_error(proxy_wasm_host):
    assert proxy_wasm_host.logs.messages("error") == []
    assert proxy_wasm_host.failures == []
