"""The same example filter, unit-tested in the in-process host: no Envoy, milliseconds per test.

Run:  pytest examples/test_add_header_in_process.py
"""

from __future__ import annotations

from pathlib import Path

import pytest

MODULE = Path(__file__).with_name("add_header.wat")


@pytest.fixture
def host(proxy_wasm_host_factory):
    """The example module in the in-process host, whatever --wasm says."""
    return proxy_wasm_host_factory(MODULE)


def test_filter_adds_headers(host):
    result = host.http_request("GET", "/hello")
    assert result.request_headers["x-wasmhub-seen"] == "1"  # what went upstream
    assert result.response_headers["x-wasmhub-example"] == "hello"  # what the client got
    assert result.status == 200


def test_filter_logs_at_configure(host):
    assert "add_header example configured" in host.logs.messages()
