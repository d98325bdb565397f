"""Envoy reuse: clean Envoys are shared between tests of the same configuration, and a test that
poisons the VM (a trap fails it for every later request) hands the next test a fresh Envoy."""

from __future__ import annotations

import pytest

from pytest_wasmhub.probes import probe_path

pytestmark = pytest.mark.usefixtures("clean_env")

TESTS = """
import os, pathlib

def _note(envoy, name):
    pathlib.Path(os.environ["PIDS_FILE"]).open("a").write(f"{name} {envoy.pid}\\n")

def test_1_clean(envoy_factory):
    envoy = envoy_factory(reuse=True, configuration="pooled")
    _note(envoy, "clean")
    assert envoy.http.get("/").status_code == 200

def test_2_reuses_the_clean_one(envoy_factory):
    envoy = envoy_factory(reuse=True, configuration="pooled")
    _note(envoy, "reused")
    assert envoy.http.get("/").status_code == 200

def test_3_poisons_the_vm(envoy_factory):
    envoy = envoy_factory(reuse=True, configuration="pooled")
    _note(envoy, "poisoned")
    assert envoy.http.get("/crash").status_code == 503  # the probe traps; the VM is failed for good

def test_4_is_not_affected(envoy_factory):
    envoy = envoy_factory(reuse=True, configuration="pooled")
    _note(envoy, "after")
    response = envoy.http.get("/")
    assert response.status_code == 200, "the poisoned VM leaked into this test"
    assert response.headers["x-count"] == "1", "a fresh VM has seen exactly this request"
"""


@pytest.mark.parametrize("reuse", ["session", "never"])
def test_a_poisoned_envoy_is_never_reused(pytester, tmp_path, monkeypatch, reuse):
    pids_file = tmp_path / "pids"
    monkeypatch.setenv("PIDS_FILE", str(pids_file))
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_subprocess(
        "--wasm",
        str(probe_path("trap_on_crash_path")),
        "--wasm-no-conformance",
        "--envoy-reuse",
        reuse,
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=4)
    pids = dict(line.split() for line in pids_file.read_text().splitlines())
    if reuse == "session":
        assert pids["clean"] == pids["reused"] == pids["poisoned"], "a clean Envoy should be reused"
    else:
        assert len(set(pids.values())) == 4, "--envoy-reuse never starts one Envoy per test"
    assert pids["after"] != pids["poisoned"]
