"""The pytest fixtures an author uses: ``proxy_wasm_host`` and ``proxy_wasm_host_factory``."""

from __future__ import annotations

EXAMPLE_TEST = """
import pytest

@pytest.mark.wasm_config(configuration="from-the-mark")
def test_author_view(proxy_wasm_host):
    result = proxy_wasm_host.http_request("GET", "/", headers={"x-test": "l"})
    assert result.status == 403 and result.body == b"blocked\\n"
    assert proxy_wasm_host.plugin_configuration == b"from-the-mark"
    assert "behaviours_requests" in proxy_wasm_host.metrics
    assert proxy_wasm_host.logs.messages() == ["configured"]

def test_factory_takes_any_module(proxy_wasm_host_factory):
    host = proxy_wasm_host_factory(MODULE, plugin_configuration="abc")
    assert host.http_request().response_headers["x-config"] == "abc"

def test_factory_start_failure_is_one_clear_failure(proxy_wasm_host_factory):
    proxy_wasm_host_factory(BROKEN)
"""


def test_fixtures_in_an_authors_test_file(pytester, behaviours, host_module):
    pytester.makepyfile(
        f"MODULE = {str(host_module('add_header_0_2_1'))!r}\nBROKEN = {str(host_module('restricted_start'))!r}\n"
        + EXAMPLE_TEST
    )
    result = pytester.runpytest_inprocess(
        f"--wasm={behaviours}", "--wasm-no-conformance", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*restricted_start.wat: start-up failed in _initialize: restricted*"])


SETTINGS_TEST = """
def test_settings_reach_the_host(proxy_wasm_host):
    assert proxy_wasm_host.plugin_configuration == b'{"from": "settings"}'
    assert proxy_wasm_host.vm_configuration == b"vm-settings"
    assert proxy_wasm_host.options.root_id == "my_root" and proxy_wasm_host.vm_id == "my_vm"
    assert proxy_wasm_host.clusters == {"upstream", "auth"}
"""


def test_settings_reach_the_fixture_as_they_reach_envoy(pytester, behaviours):
    pytester.makepyfile(SETTINGS_TEST)
    result = pytester.runpytest_inprocess(
        f"--wasm={behaviours}", "--wasm-no-conformance", "-p", "no:cacheprovider",
        '--wasm-config={"from": "settings"}', "--wasm-vm-config=vm-settings", "--wasm-root-id=my_root",
        "--wasm-vm-id=my_vm", "--envoy-cluster=auth",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
