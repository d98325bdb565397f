"""The fixtures an author uses, through a real Envoy: upstream, envoy, envoy_factory, wasm_config."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("clean_env")


def test_author_tests_drive_real_traffic(pytester, example_module):
    pytester.makepyfile(
        """
        import httpx

        def test_module_adds_headers(envoy, upstream):
            response = envoy.http.post("/echo?x=1", content=b"ping")
            assert response.status_code == 200
            assert response.text == "ping"  # the upstream echoes the body
            assert response.headers["x-wasmhub-example"] == "hello"
            seen = upstream.last_request
            assert (seen.method, seen.path, seen.query) == ("POST", "/echo", "x=1")
            assert seen.header("X-WASMHUB-SEEN") == "1"

        def test_upstream_is_cleared_between_tests(upstream):
            assert upstream.requests == []

        def test_custom_upstream_reply(envoy, upstream):
            upstream.respond_with(status=418, headers={"x-teapot": "yes"}, body=b"short and stout")
            response = envoy.http.get("/")
            assert (response.status_code, response.text) == (418, "short and stout")
            assert response.headers["x-teapot"] == "yes"

        def test_admin_stats_and_logs(envoy):
            assert envoy.ready()
            assert envoy.admin.get("/ready").text.strip() == "LIVE"
            assert envoy.stats()["wasm.envoy.wasm.runtime.v8.created"] >= 1
            assert "add_header example configured" in envoy.logs()
            assert envoy.config_dump()["configs"]

        def test_passthrough_listener_skips_the_module(envoy):
            response = httpx.get(envoy.passthrough_url + "/")
            assert response.status_code == 200
            assert "x-wasmhub-example" not in response.headers

        def test_route_with_the_filter_disabled(envoy):
            response = envoy.http.get("/__wasmhub/nowasm/x")
            assert response.status_code == 200
            assert "x-wasmhub-example" not in response.headers
        """
    )
    result = pytester.runpytest(
        "--wasm", str(example_module), "--wasm-no-conformance", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=6)


def test_factory_starts_other_modules_and_configurations(pytester, example_module):
    pytester.makepyfile(
        f"""
        def test_two_envoys(envoy_factory):
            first = envoy_factory({str(example_module)!r}, vm_id="one", configuration="a")
            second = envoy_factory({str(example_module)!r}, root_id="other", failure_policy="FAIL_OPEN")
            assert first.url != second.url
            for envoy in (first, second):
                assert envoy.http.get("/").headers["x-wasmhub-example"] == "hello"
            plugin = second.config_dump()["configs"]
            assert "FAIL_OPEN" in str(plugin) and '"other"' in __import__("json").dumps(plugin)

        def test_unknown_setting_is_refused(envoy_factory):
            import pytest
            with pytest.raises(TypeError, match="unknown Envoy settings: colour"):
                envoy_factory({str(example_module)!r}, colour="blue")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")  # no --wasm: the factory names its module
    result.assert_outcomes(passed=2)


def test_wasm_config_marker_reaches_envoy(pytester, example_module):
    pytester.makepyfile(
        """
        import json, pytest

        @pytest.mark.wasm_config(configuration='{"k": "v"}', vm_id="marked", root_id="r1")
        def test_marker(envoy):
            dump = json.dumps(envoy.config_dump())
            assert '{\\\\"k\\\\": \\\\"v\\\\"}' in dump
            assert '"vm_id": "marked"' in dump and '"root_id": "r1"' in dump
        """
    )
    result = pytester.runpytest(
        "--wasm", str(example_module), "--wasm-no-conformance", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)


def test_wasm_config_marker_rejects_unknown_arguments(pytester, example_module):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.wasm_config(colour="blue")
        def test_marker(envoy):
            pass
        """
    )
    result = pytester.runpytest(
        "--wasm", str(example_module), "--wasm-no-conformance", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # before any test starts an Envoy
    result.stderr.fnmatch_lines(
        ["ERROR: *::test_marker: @pytest.mark.wasm_config: unknown argument 'colour'; valid: configuration*"]
    )


def test_without_a_module_envoy_tests_skip_with_the_reason(pytester):
    pytester.makepyfile("def test_needs_module(envoy):\n    pass\n")
    result = pytester.runpytest("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no module under test: give --wasm PATH*"])


def test_failure_report_carries_envoy_log_and_bootstrap(pytester, example_module):
    pytester.makepyfile("def test_fails(envoy):\n    assert envoy.http.get('/').status_code == 999\n")
    result = pytester.runpytest(
        "--wasm", str(example_module), "--wasm-no-conformance", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*envoy log (tail) http://127.0.0.1:*",
            "bootstrap: */bootstrap.yaml",
            "*starting main dispatch loop*",
        ]
    )


def test_conformance_suite_is_collected_from_any_directory(pytester, example_module):
    pytester.makepyfile("def test_mine(): pass")
    result = pytester.runpytest(
        "--wasm", str(example_module), "--collect-only", "-q", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(
        [
            "test_conformance_suite_is_collected_from_any_directory.py::test_mine",
            "*envoy/test_load.py::test_module_loads_and_serves",
        ]
    )
    off = pytester.runpytest("--wasm", str(example_module), "--wasm-no-conformance", "--collect-only", "-q")
    off.stdout.no_fnmatch_line("*test_load.py*")
