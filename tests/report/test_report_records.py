"""What the reports keep of each case: the requests and Envoy's record of them, what the module changed
(sizes, first differing byte, an excerpt), and an error kept apart from a fail."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from report_helpers import read_report, results_of

from pytest_wasmhub.probes import probes_dir
from pytest_wasmhub.resources import conformance_dir

pytestmark = pytest.mark.usefixtures("clean_env")


def test_a_body_change_reaches_every_report(pytester):
    report = pytester.path / "out" / "report.json"
    pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wasm", str(probes_dir() / "rewrite_response_body.wat"),
        "--wasm-no-conformance", str(conformance_dir() / "traffic" / "test_traffic.py::test_post_small_body"),
        "--wasm-report", str(report),
    )  # fmt: skip
    document = read_report(report)
    (post,) = results_of(document, "TRAFFIC-POST-001")
    assert post["outcome"] == "pass"
    (change,) = post["changes"]
    assert change["body"] == {
        "before": 17,
        "after": 29,
        "first_difference": 0,
        "excerpt_before": '{"hello": "wasm"}',
        "excerpt_after": '[rewritten] {"hello": "w',
    }
    assert change["response_removed"] == {} and change["reached_upstream"] is True
    assert [r["outcome"] for r in post["requests"]] == ["passed_upstream", "passed_upstream"]
    assert all(r["details"] == "via_upstream" for r in post["requests"])
    html = report.with_suffix(".html").read_text()
    assert "what the module changed" in html and "response body changed: 17 -&gt; 29 bytes" in html
    junit = ET.parse(report.with_suffix(".junit.xml")).getroot()
    out = "".join(node.text or "" for node in junit.iter("system-out"))
    assert "response body changed: 17 -> 29 bytes, first difference at byte 0" in out


def test_an_exception_in_a_case_is_an_error_not_a_fail(pytester):
    pytester.makepyfile(
        test_cases="""
import pytest
from pytest_wasmhub.cases import MUST, case

@case("SELFTEST-BROKEN-001", area="traffic", level=MUST, title="t", spec="s")
def test_broken(wasm_module):
    raise ConnectionResetError("the suite's own client broke")

@case("SELFTEST-FAILS-001", area="traffic", level=MUST, title="t", spec="s")
def test_fails(wasm_module):
    pytest.fail("GET /x: the module trapped in proxy_on_request_headers:\\nUncaught RuntimeError: unreachable")
"""
    )
    report = pytester.path / "out" / "report.json"
    pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wasm", str(probes_dir() / "reply_403.wat"), "--wasm-no-conformance",
        "test_cases.py", "--wasm-report", str(report),
    )  # fmt: skip
    document = read_report(report)
    (broken,) = results_of(document, "SELFTEST-BROKEN-001")
    assert broken["outcome"] == "error"
    assert broken["message"].startswith("the case broke: ConnectionResetError")
    (fails,) = results_of(document, "SELFTEST-FAILS-001")
    assert fails["outcome"] == "fail"
    # the cause on the line after "...:" stays in the one-line reason
    assert fails["message"].endswith("proxy_on_request_headers: Uncaught RuntimeError: unreachable")
