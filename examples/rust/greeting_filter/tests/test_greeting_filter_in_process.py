"""Author unit tests of greeting_filter in the in-process host: no Envoy, milliseconds each.
Run in examples/rust: ``pytest --wasm target/wasm32-wasip1/release/greeting_filter.wasm greeting_filter/tests/``.
"""

from __future__ import annotations

import pytest

from pytest_wasmhub.host import StartError


def test_the_response_gets_the_header(proxy_wasm_host):
    result = proxy_wasm_host.http_request("GET", "/hello")
    assert result.status == 200
    assert result.response_headers["x-greeting"] == "hello"
    assert result.request_headers[":path"] == "/hello"  # what went upstream


def test_the_reply_path_never_goes_upstream(proxy_wasm_host):
    result = proxy_wasm_host.http_request("GET", "/greeting")
    assert (result.status, result.body) == (200, b"hello\n")
    assert result.upstream_request is None


@pytest.mark.wasm_config(configuration='{"value": "hej"}')
def test_configured_at_start_up(proxy_wasm_host):
    assert proxy_wasm_host.http_request("GET", "/").response_headers["x-greeting"] == "hej"
    assert "greeting_filter configured: x-greeting: hej, local reply at /greeting" in (
        proxy_wasm_host.logs.messages("info")
    )


@pytest.mark.parametrize("configuration", ["not json", "[1]", '{"value": 7}'])
def test_bad_configurations_stop_start_up(proxy_wasm_host_factory, configuration):
    host = proxy_wasm_host_factory(plugin_configuration=configuration, start=False)
    with pytest.raises(StartError):
        host.start()
    assert any("bad configuration" in line for line in host.logs.messages("error"))
