"""Start-up, the root lifecycle and the stream lifecycle, in the host profile's order."""

from __future__ import annotations

import pytest

from pytest_wasmhub.abi import host_profile
from pytest_wasmhub.host import ModuleLoadError, ProxyWasmHost, StartError


def _callbacks(host):
    return [r.name for r in host.trace.callbacks() if r.depth == 0]


def test_root_then_stream_lifecycle_in_envoy_order(behaviours):
    host = ProxyWasmHost(behaviours).start()
    host.http_request("POST", "/", body=[b"a", b"b"], trailers={"t": "1"})
    host.close()
    root = host_profile("envoy").root_lifecycle
    assert _callbacks(host) == [
        *root,
        "proxy_on_context_create",
        "proxy_on_request_headers",
        "proxy_on_request_body",
        "proxy_on_request_body",
        "proxy_on_response_headers",
        "proxy_on_done",  # the module exports no proxy_on_log
        "proxy_on_delete",
        "proxy_on_done",  # shutdown of the root context
        "proxy_on_delete",
    ]
    # the request had trailers, so the last body chunk is not the end of the stream
    bodies = [r.args["args"] for r in host.trace.callbacks("proxy_on_request_body")]
    assert [(size, end) for _, size, end in bodies] == [(1, 0), (1, 0)]


@pytest.mark.parametrize(
    ("profile", "tail"),
    [
        ("envoy", ["proxy_on_log", "proxy_on_done", "proxy_on_delete"]),
        ("spec", ["proxy_on_done", "proxy_on_log", "proxy_on_delete"]),
    ],
)
def test_end_of_stream_order_comes_from_the_profile(host_module, profile, tail):
    host = ProxyWasmHost(host_module("lifecycle_probe"), profile=profile).start()
    host.http_request()
    assert _callbacks(host)[-3:] == tail


def test_root_context_gets_the_configurations(host_module):
    for version in ("0_1_0", "0_2_0", "0_2_1"):
        host = ProxyWasmHost(
            host_module(f"add_header_{version}"), plugin_configuration=f"cfg {version}"
        ).start()
        result = host.http_request()
        assert result.request_headers["x-abi"] == version.replace("_", ".")
        assert result.response_headers["x-config"] == f"cfg {version}"
    headers_args = host.trace.callbacks("proxy_on_request_headers")[0].args["args"]
    assert len(headers_args) == 3  # 0.2.x: context, header count, end of stream


def test_abi_0_1_0_header_callbacks_get_two_arguments(host_module):
    host = ProxyWasmHost(host_module("add_header_0_1_0")).start()
    host.http_request()
    assert len(host.trace.callbacks("proxy_on_request_headers")[0].args["args"]) == 2


def test_start_up_may_only_log(host_module):
    host = ProxyWasmHost(host_module("restricted_start"))
    with pytest.raises(StartError) as raised:
        host.start()
    assert raised.value.failure.kind == "restricted"
    assert raised.value.failure.callback == "_initialize"
    assert "proxy_define_metric" in str(raised.value)
    assert host.logs.messages() == ["starting"]  # proxy_log is allowed


def test_configure_returning_false_refuses_the_module(host_module):
    with pytest.raises(StartError, match="proxy_on_configure returned false"):
        ProxyWasmHost(host_module("refuse_config"), plugin_configuration="reject").start()
    ProxyWasmHost(host_module("refuse_config"), plugin_configuration="accept!").start()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\0asm\x01\0\0\0", "no known proxy_abi_version_"),
        (b"not wasm at all", "not a WebAssembly module"),
    ],
)
def test_modules_envoy_refuses_are_refused(data, message):
    with pytest.raises(ModuleLoadError, match=message):
        ProxyWasmHost(data).start()


def test_unknown_option_is_a_clear_error(behaviours):
    with pytest.raises(Exception, match="unknown host option 'fuel'"):
        ProxyWasmHost(behaviours, fuel=3)


def test_shutdown_waits_for_proxy_done(host_module):
    host = ProxyWasmHost(host_module("lifecycle_probe"), plugin_configuration="late").start()
    host.close()
    assert "proxy_on_delete" not in _callbacks(host)[-1:]  # proxy_on_done returned false
    host.advance_time(1000)  # the tick calls proxy_done
    assert _callbacks(host)[-2:] == ["proxy_on_tick", "proxy_on_delete"]
