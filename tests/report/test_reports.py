"""The reports of real runs (a real slice of the shared suite, a real Envoy): a passing module, a module
that fails, a module Envoy refuses. The JSON validates against its schema, the HTML shows the failing
cases first (and renders in headless Chromium), the JUnit XML carries case id and level."""

from __future__ import annotations

import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_helpers import EXAMPLE, MODULES, SUITE_SLICE, read_report, results_of

from pytest_wasmhub.envoy import probe_load
from pytest_wasmhub.module import load_module

pytestmark = pytest.mark.usefixtures("clean_env")

MODULE_FILES = {
    "passing": EXAMPLE,
    "failing": MODULES / "traps_on_request.wat",
    "refused": MODULES / "no_abi_marker.wat",
}


def run_suite_slice(pytester: pytest.Pytester, module: Path, *extra: str) -> tuple[int, dict, Path]:
    report = pytester.path / "out" / "report.json"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wasm", str(module), "--wasm-no-conformance", *SUITE_SLICE,
        "--wasm-report", str(report), *extra,
    )  # fmt: skip
    return result.ret, read_report(report), report


@pytest.mark.parametrize("kind", list(MODULE_FILES))
def test_report_of_a_real_run(pytester, tmp_path, kind):
    module_file = MODULE_FILES[kind]
    exit_code, document, report = run_suite_slice(pytester, module_file)
    module = load_module(module_file, tmp_path)

    assert document["module"]["sha256"] == module.sha256
    assert document["module"]["abi_version"] == module.abi_version
    assert document["suite"]["name"] == "pytest-wasmhub"
    assert document["backend"] == "process"
    assert document["envoy"][0]["runtime"] == "envoy.wasm.runtime.v8"

    # the verdict follows from the case outcomes, and the exit code from the verdict
    cases = [r for r in document["results"] if r["case"]]
    unmet = {
        level: [
            r for r in cases if r["case"]["level"] == level and r["outcome"] not in ("pass", "not_applicable")
        ]
        for level in ("MUST", "SHOULD")
    }
    must_unmet = unmet["MUST"]
    expected = (
        "not_conformant" if must_unmet else "conformant_with_warnings" if unmet["SHOULD"] else "conformant"
    )
    assert document["verdict"]["status"] == expected
    assert exit_code == document["verdict"]["exit_code"] == (1 if must_unmet else 0)
    assert len(document["verdict"]["reasons"]) == len(must_unmet or unmet["SHOULD"])

    # the load column says what Envoy itself says about the module
    envoy_says = probe_load(module.path, workdir=tmp_path)
    (row,) = document["compatibility"]
    assert row["load"] == ("loaded" if envoy_says.loaded else "refused")
    load_case = results_of(document, "ENVOY-LOAD-001")[0]
    assert load_case["envoy_version"] == row["envoy_version"]
    if not envoy_says.loaded:
        assert "Missing or unknown Proxy-Wasm ABI version" in row["load_reason"]
        assert load_case["outcome"] == "fail"
        assert "Missing or unknown Proxy-Wasm ABI version" in load_case["message"]
    if kind == "failing":
        assert load_case["outcome"] == "fail"
        assert "unreachable" in load_case["message"]  # V8's trap, quoted from Envoy's log
    if kind == "passing":
        assert not must_unmet and exit_code == 0

    # JUnit XML: one testcase per result, case id and level as properties, failures as <failure>
    junit = ET.parse(report.with_suffix(".junit.xml")).getroot()
    testcases = junit.findall("testcase")
    assert len(testcases) == len(document["results"])
    for testcase in testcases:
        properties = {p.get("name"): p.get("value") for p in testcase.iter("property")}
        assert properties["wasm_case_id"] and properties["wasm_case_level"] in ("MUST", "SHOULD")
        outcome = properties["wasm_outcome"]
        assert (testcase.find("failure") is not None) == (outcome == "fail")
    assert int(junit.get("failures")) == document["summary"]["cases"]["fail"]


def test_html_report_shows_the_failing_cases_first(pytester, tmp_path):
    exit_code, document, report = run_suite_slice(pytester, MODULE_FILES["refused"])
    assert exit_code == 1
    html = report.with_suffix(".html").read_text()
    # self-contained: no script, no stylesheet or image to fetch
    assert not any(tag in html for tag in ("<script", "<link", "<img", "src=", "@import"))
    assert "Not conformant" in html
    failing = [r["case"]["id"] for r in document["results"] if r["case"] and r["outcome"] == "fail"]
    passing = [r["case"]["id"] for r in document["results"] if r["case"] and r["outcome"] == "pass"]
    assert failing and passing
    cases_table = html[html.index('id="cases"') :]
    last_failing = max(cases_table.index(f">{case_id}<") for case_id in failing)
    first_passing = min(cases_table.index(f">{case_id}<") for case_id in passing)
    assert last_failing < first_passing
    assert "Missing or unknown Proxy-Wasm ABI version" in html

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: tests/setup-machine.sh installs it")
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={screenshot}",
            "--window-size=1280,1600", report.with_suffix(".html").as_uri(),
        ],
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 1600)
    # a blank page compresses to a few kB; the rendered report (tables, text, the red banner) does not
    assert len(png) > 40_000, f"the screenshot is only {len(png)} bytes: did the report render?"
    shutil.copy(screenshot, report.with_name("report.png"))  # kept next to the report for a look
