"""The module loads in a real Envoy and serves traffic."""

from __future__ import annotations

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.expect import no_wasm_errors, start_envoy


@case(
    "ENVOY-LOAD-001",
    area="envoy",
    level=MUST,
    title="The module loads in Envoy and a request passes through it",
    spec="Envoy starts with the module as an HTTP filter (the Wasm VM is created and the plugin "
    "configured) and proxies a GET to the upstream and its response back, with no Wasm error logged.",
    reference="shared/reference/crash.md §3 (load failures stop Envoy); proxy-wasm spec v0.2.1 §Integration",
)
def test_module_loads_and_proxies_a_request(wasm_module, envoy_factory, upstream):
    envoy = start_envoy(envoy_factory, wasm_module)
    created = envoy.stats().get("wasm.envoy.wasm.runtime.v8.created", 0)
    assert created >= 1, "Envoy is ready but created no V8 Wasm VM (wasm.envoy.wasm.runtime.v8.created is 0)"
    response = envoy.http.get("/conformance/load")
    no_wasm_errors(envoy, "proxying GET /conformance/load")
    reached = [r for r in upstream.requests if r.path == "/conformance/load"]
    assert reached, (
        f"the request did not reach the upstream: Envoy answered {response.status_code} "
        f"({response.headers.get('content-length', '?')} bytes) on its own"
    )
    assert response.status_code < 500, (
        f"Envoy answered {response.status_code} for a request the upstream served"
    )
