"""How an extension author tests a filter with pytest-wasmhub: real HTTP through a real Envoy.

Run:  pytest examples/test_add_header.py --wasm examples/add_header.wat
(the tests below name their module themselves, so they also run without --wasm)
"""

from __future__ import annotations

from pathlib import Path

import pytest

MODULE = Path(__file__).with_name("add_header.wat")


@pytest.fixture
def filter_envoy(envoy_factory):
    """Envoy with this example's module, whatever --wasm says."""
    return envoy_factory(MODULE)


def test_response_gets_the_example_header(filter_envoy):
    response = filter_envoy.http.get("/hello")
    assert response.status_code == 200
    assert response.headers["x-wasmhub-example"] == "hello"


def test_upstream_sees_the_request_header(filter_envoy, upstream):
    filter_envoy.http.post("/orders", content=b'{"id": 7}')
    seen = upstream.last_request
    assert (seen.method, seen.path, seen.body) == ("POST", "/orders", b'{"id": 7}')
    assert seen.header("x-wasmhub-seen") == "1"


def test_the_passthrough_listener_has_no_filter(filter_envoy, upstream):
    # envoy.client(url) reaches a listener whatever the backend (loopback TCP or a Unix socket)
    response = filter_envoy.client(filter_envoy.passthrough_url).get("/plain")
    assert response.status_code == 200
    assert "x-wasmhub-example" not in response.headers
    assert upstream.last_request.header("x-wasmhub-seen") is None


@pytest.mark.wasm_config(configuration='{"greeting": "hi"}')
def test_the_filter_logs_at_configure(envoy):
    # `envoy` runs the --wasm module; skipped when none is given
    assert envoy.http.get("/").status_code == 200
    assert "wasm log" in envoy.logs()
