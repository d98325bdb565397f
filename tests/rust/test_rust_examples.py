"""The Rust examples build from source and pass their author tests and the conformance suite.

Each example is built with cargo (cached, see rust_build.py) and its tests run the way its README says,
in a pytest of their own started in examples/rust: ``pytest --wasm target/.../NAME.wasm NAME/tests/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rust_modules import EXAMPLES

from pytest_wasmhub.cases import MUST

ENVOY_VERSIONS = ("1.36.2", "1.40.0")  # the oldest release the suite supports, and the newest
RUN_TIMEOUT = 600


def run_pytest(module: Path, tests: str, tmp_path: Path, *options: str) -> tuple[dict[str, Any], str]:
    """Run pytest in examples/rust on ``module``; the JSON report and the output."""
    report = tmp_path / "report.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--wasm",
        str(module),
        "--wasm-report",
        str(report),
        *options,
        tests,
    ]
    done = subprocess.run(
        command, cwd=EXAMPLES, capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL
    )
    output = done.stdout + done.stderr
    assert report.is_file(), f"no report from `{' '.join(command)}` (exit {done.returncode}):\n{output}"
    return json.loads(report.read_text()), output


def author_results(report: dict[str, Any]) -> dict[str, str]:
    return {r["nodeid"]: r["outcome"] for r in report["results"] if r["case"] is None}


def test_all_three_examples_build_and_pass_the_static_abi_cases(rust_example, capsys):
    from pytest_wasmhub.cli import main

    for name in ("greeting_filter", "byte_counter", "tick_service"):
        module = rust_example(name)
        assert module.read_bytes()[:4] == b"\0asm"
        code = main(["inspect", str(module)])
        assert code == 0, f"wasmhub inspect {name}:\n{capsys.readouterr().out}"


def test_the_build_is_cached(rust_example):
    first = rust_example("greeting_filter")
    stamp = first.stat().st_mtime_ns
    assert rust_example("greeting_filter") == first
    assert first.stat().st_mtime_ns == stamp  # nothing was rebuilt or copied again


def test_greeting_filter_passes_its_tests_and_the_suite_on_both_envoys(rust_example, tmp_path):
    wanted = ",".join(ENVOY_VERSIONS)
    report, output = run_pytest(
        rust_example("greeting_filter"), "greeting_filter/tests/", tmp_path, "--envoy-version", wanted
    )
    authored = author_results(report)
    assert len(authored) >= 10 and set(authored.values()) == {"pass"}, output
    # every Envoy test of the author ran once per release
    for version in ENVOY_VERSIONS:
        assert any(nodeid.endswith(f"[envoy-{version}]") for nodeid in authored), output
    loads = {row["envoy_version"]: row["load"] for row in report["compatibility"]}
    assert loads == dict.fromkeys(ENVOY_VERSIONS, "loaded"), output
    must_not_passed = [
        f"{r['case']['id']} [{r['envoy_version']}] {r['outcome']}: {r['message'][:300]}"
        for r in report["results"]
        if r["case"] and r["case"]["level"] == MUST and r["outcome"] not in ("pass", "not_applicable")
    ]
    assert must_not_passed == [], output
    assert report["verdict"]["exit_code"] == 0, report["verdict"]


@pytest.mark.parametrize("name", ["byte_counter", "tick_service"])
def test_network_filter_and_service_pass_their_tests_and_the_suite_on_both_envoys(
    rust_example, tmp_path, name
):
    """The suite runs each as what it is (a network filter, a Wasm service): its cases and the author's
    Envoy tests pass on both releases; the HTTP cases do not apply."""
    wanted = ",".join(ENVOY_VERSIONS)
    report, output = run_pytest(rust_example(name), f"{name}/tests/", tmp_path, "--envoy-version", wanted)
    authored = author_results(report)
    assert authored and set(authored.values()) == {"pass"}, output
    assert report["module"]["kinds"]["kinds"] == ["network" if name == "byte_counter" else "service"]
    own = "NETWORK-" if name == "byte_counter" else "SERVICE-"
    ran = [r for r in report["results"] if r["case"] and r["case"]["id"].startswith(own)]
    assert {r["envoy_version"] for r in ran} == set(ENVOY_VERSIONS) and {r["outcome"] for r in ran} == {
        "pass"
    }
    must_not_passed = [
        f"{r['case']['id']} [{r['envoy_version']}] {r['outcome']}: {r['message'][:300]}"
        for r in report["results"]
        if r["case"] and r["case"]["level"] == MUST and r["outcome"] not in ("pass", "not_applicable")
    ]
    assert must_not_passed == [], output
