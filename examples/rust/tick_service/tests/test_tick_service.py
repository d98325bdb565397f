"""Author tests of tick_service, a service: a root context whose timer counts ticks.

    pytest --wasm target/wasm32-wasip1/release/tick_service.wasm tick_service/tests/

The in-process host runs the timer on a manual clock, so ``advance_time`` fires exactly the ticks
that fall due. Running it as an Envoy service (``bootstrap_extensions``) needs a deployment the
fixtures do not offer yet.
"""

from __future__ import annotations

import pytest

from pytest_wasmhub.host import StartError

TICKS = "tick_service.ticks"


def test_each_period_adds_one_tick(proxy_wasm_host):
    assert proxy_wasm_host.metrics[TICKS].value == 0
    proxy_wasm_host.advance_time(999)
    assert proxy_wasm_host.metrics[TICKS].value == 0  # the first tick is one period after start-up
    proxy_wasm_host.advance_time(1)
    assert proxy_wasm_host.metrics[TICKS].value == 1
    proxy_wasm_host.advance_time(3000)
    assert proxy_wasm_host.metrics[TICKS].value == 4


@pytest.mark.wasm_config(configuration='{"period_ms": 250}')
def test_the_period_comes_from_the_configuration(proxy_wasm_host):
    proxy_wasm_host.advance_time(1000)
    assert proxy_wasm_host.metrics[TICKS].value == 4
    assert "tick_service: ticking every 250 ms" in proxy_wasm_host.logs.messages("info")


@pytest.mark.parametrize("configuration", ["{", '{"period_ms": 0}', '{"period_ms": "fast"}'])
def test_a_bad_period_stops_start_up(proxy_wasm_host_factory, configuration):
    host = proxy_wasm_host_factory(plugin_configuration=configuration, start=False)
    with pytest.raises(StartError):
        host.start()
    assert any("bad configuration" in line for line in host.logs.messages("error"))
