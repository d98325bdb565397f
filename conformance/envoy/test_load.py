"""The module loads in a real Envoy and serves a request."""

from __future__ import annotations

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.expect import start_envoy


@case(
    "ENVOY-LOAD-001",
    area="envoy",
    level=MUST,
    title="The module loads in Envoy and a request passes through it",
    spec="Envoy starts with the module as an HTTP filter with the configuration given: the V8 VM is "
    "created, proxy_on_vm_start and proxy_on_configure succeed, and a GET is served without a trap, a "
    "failed VM or a hang (forwarded, or answered by the module itself).",
    reference="docs/host-facts.md#start-failures-stop-envoy; docs/host-facts.md#envoy-records-each-request; "
    "proxy-wasm spec v0.2.1 §Integration",
)
def test_module_loads_and_serves_a_request(http_filter_module, envoy_factory, wasmhub_traffic):
    envoy = start_envoy(envoy_factory, http_filter_module, reuse=True)
    created = envoy.stats().get("wasm.envoy.wasm.runtime.v8.created", 0)
    assert created >= 1, "Envoy is ready but created no V8 Wasm VM (wasm.envoy.wasm.runtime.v8.created is 0)"
    traffic = wasmhub_traffic(envoy)
    # judged by Envoy's record: forwarded, or answered by the module itself; a failed VM, a trap or a
    # hang fails the case
    traffic.send("GET", "/conformance/load")
