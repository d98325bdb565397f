"""The module loads in a real Envoy, deployed the way it runs (HTTP filter, network filter or Wasm
service), and serves what that deployment serves. It applies to every module: a registry always learns
whether Envoy takes it, in Envoy's words."""

from __future__ import annotations

import pytest

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.connections import exchange_bytes
from pytest_wasmhub.envoy.bootstrap import KIND_TEMPLATES
from pytest_wasmhub.envoy.logs import start_failures
from pytest_wasmhub.expect import start_envoy
from pytest_wasmhub.kinds import HTTP, NETWORK


@case(
    "ENVOY-LOAD-001",
    area="envoy",
    level=MUST,
    title="The module loads in Envoy and serves",
    spec="Envoy starts with the module in the deployment its kind needs (an HTTP filter, else a network "
    "filter, else a Wasm service) with the configuration given: the V8 VM is created, proxy_on_vm_start "
    "and proxy_on_configure succeed, and Envoy serves: a GET without a trap, a failed VM or a hang "
    "(forwarded, or answered by the module itself); bytes through a network filter; a service that "
    "starts without a Wasm failure.",
    reference="docs/host-facts.md#start-failures-stop-envoy; docs/host-facts.md#envoy-records-each-request; "
    "proxy-wasm spec v0.2.1 Integration (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1)",
)
def test_module_loads_and_serves(wasm_module, wasm_kinds, envoy_factory, wasmhub_traffic, wasmhub_settings):
    kind = wasm_kinds.kinds[0]
    envoy = start_envoy(envoy_factory, wasm_module, template=KIND_TEMPLATES[kind], reuse=True)
    created = envoy.stats().get("wasm.envoy.wasm.runtime.v8.created", 0)
    assert created >= 1, "Envoy is ready but created no V8 Wasm VM (wasm.envoy.wasm.runtime.v8.created is 0)"
    if kind == HTTP:
        # judged by Envoy's record: forwarded, or answered by the module itself
        wasmhub_traffic(envoy).send("GET", "/conformance/load")
    elif kind == NETWORK:
        outcome = exchange_bytes(envoy, b"loaded?\n", timeout=wasmhub_settings.request_timeout)
        if outcome.failed or not outcome.received:
            pytest.fail(outcome.reason("8 bytes through the network filter"), pytrace=False)
    else:  # what the service does after its start is the service cases' (a timer's trap)
        failures = start_failures(envoy.log_entries())
        assert not failures, "Envoy logged Wasm failures starting the service: " + " | ".join(failures[:3])
