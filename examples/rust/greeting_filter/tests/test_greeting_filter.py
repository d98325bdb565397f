"""Author tests of greeting_filter through a real Envoy. Run in examples/rust:
``cargo build --release --target wasm32-wasip1``, then
``pytest --wasm target/wasm32-wasip1/release/greeting_filter.wasm greeting_filter/tests/``.
"""

from __future__ import annotations

import pytest

from pytest_wasmhub.envoy import EnvoyStartError


def test_every_response_carries_the_greeting(envoy, upstream):
    response = envoy.http.get("/orders/7")
    assert response.status_code == 200
    assert response.headers["x-greeting"] == "hello"
    assert upstream.last_request.path == "/orders/7"  # the request went through untouched


def test_the_reply_path_is_answered_by_the_filter(envoy, upstream):
    response = envoy.http.get("/greeting?lang=en")
    assert (response.status_code, response.text) == (200, "hello\n")
    assert response.headers["content-type"] == "text/plain"
    assert upstream.requests == []  # the backend never saw it


@pytest.mark.wasm_config(configuration='{"header": "x-salut", "value": "bonjour", "reply_path": "/salut"}')
def test_the_configuration_renames_everything(envoy, upstream):
    assert envoy.http.get("/salut").text == "bonjour\n"
    response = envoy.http.get("/greeting")  # no longer the reply path: it reaches the backend
    assert response.headers["x-salut"] == "bonjour"
    assert "x-greeting" not in response.headers
    assert upstream.last_request.path == "/greeting"


def test_a_configuration_that_is_not_an_object_is_refused(envoy_factory):
    with pytest.raises(EnvoyStartError) as refused:
        envoy_factory(configuration='["x-greeting"]')
    assert "greeting_filter: bad configuration: the configuration must be a JSON object" in refused.value.log
