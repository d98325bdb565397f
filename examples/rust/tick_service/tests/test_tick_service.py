"""Author tests of tick_service, a service: a root context whose timer counts ticks.

    pytest --wasm target/wasm32-wasip1/release/tick_service.wasm tick_service/tests/

The in-process host runs the timer on a manual clock, so ``advance_time`` fires exactly the ticks
that fall due; the ``envoy`` fixture runs it as what it is, a Wasm service (``bootstrap_extensions``),
where its log and its counter show the timer at work.
"""

from __future__ import annotations

import time

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


@pytest.mark.wasm_config(configuration='{"period_ms": 50}')
def test_runs_as_a_service_in_envoy(envoy):
    # the module runs as a Wasm service (its kind): no listener of its own; its log and counter tell
    assert envoy.wait_for_log(r"tick_service: ticking every \d+ ms")
    deadline = time.monotonic() + 5
    ticks = 0
    while ticks < 2 and time.monotonic() < deadline:
        ticks = next((v for k, v in envoy.stats().items() if k.endswith("tick_service.ticks")), 0)
        time.sleep(0.1)
    assert ticks >= 2, f"the service's counter did not move: {ticks}"
