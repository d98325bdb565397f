"""Ways to run the suite: checking an Envoy build without a module, an Envoy without the Wasm runtime
asked for, and extra clusters for modules that call out."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("clean_env")


def test_host_check_runs_the_probe_cases_without_a_module(pytester):
    result = pytester.runpytest_subprocess(
        "--wasm-host-check", "-p", "no:cacheprovider", "-q", "-m", "wasm_must"
    )
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert outcomes.get("passed", 0) >= 9  # 3 isolation and 6 failure-policy cases on the suite's probes
    assert "failed" not in outcomes and "error" not in outcomes
    result.stdout.no_fnmatch_line("*no module under test*")  # module cases are deselected, not skipped


def test_envoy_without_the_runtime_skips_with_envoys_words(pytester, example_module):
    pytester.makepyfile("def test_mine(envoy):\n    pass\n")
    result = pytester.runpytest(
        "--wasm",
        str(example_module),
        "--wasm-no-conformance",
        "--wasm-runtime",
        "envoy.wasm.runtime.wamr",
        "-rs",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*this Envoy build has no Wasm runtime envoy.wasm.runtime.wamr: Envoy was compiled without support*"]
    )


def test_extra_clusters_reach_envoy(pytester, example_module):
    pytester.makepyfile(
        """
        import json

        def test_clusters(envoy, upstream):
            dump = json.dumps(envoy.config_dump())
            assert '"name": "auth"' in dump and '"name": "ratelimit"' in dump
            assert '"port_value": 9000' in dump  # ratelimit as given
            assert f'"port_value": {upstream.port}' in dump  # auth leads to the upstream
        """
    )
    result = pytester.runpytest(
        "--wasm",
        str(example_module),
        "--wasm-no-conformance",
        "--envoy-cluster",
        "auth",
        "--envoy-cluster",
        "ratelimit=127.0.0.1:9000",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("auth=10.0.0.1:80", "*only loopback addresses*"),
        ("auth=127.0.0.1", "*the address must be HOST:PORT*"),
        ("upstream", "*cluster names must be unique and not 'upstream'*"),
        ("bad name", "*a cluster name is letters, digits*"),
    ],
)
def test_bad_clusters_are_usage_errors(pytester, value, message):
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--envoy-cluster", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --envoy-cluster: {message}"])
