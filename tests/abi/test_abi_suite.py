"""The static cases of ``conformance/abi`` run by ``pytest --wasm``: each case's outcome is the inspector's
verdict for its case id, and its failure message is the inspector's."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ElementTree

from abi_corpus import CORPUS

from pytest_wasmhub.abi.catalogue import FAIL, NOT_APPLICABLE, PASS, SUITE_CASE_IDS
from pytest_wasmhub.abi.inspector import inspect_bytes, read_module_bytes
from pytest_wasmhub.resources import conformance_dir

SUITE = conformance_dir() / "abi"
OUTCOME = {PASS: "passed", FAIL: "failed", NOT_APPLICABLE: "skipped"}


def test_every_suite_case_is_declared_once_in_conformance_abi():
    declared = []
    for path in sorted(SUITE.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"abi_suite_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        declared += [f.__wasm_case__.id for f in vars(module).values() if hasattr(f, "__wasm_case__")]
    assert sorted(declared) == sorted(SUITE_CASE_IDS)


def test_pytest_wasm_runs_the_static_cases_with_the_inspector_verdicts(pytester):
    module = CORPUS / "bad-many-problems.wat"
    report = pytester.path / "report.xml"
    result = pytester.runpytest_subprocess(
        "--wasm", str(module), "--wasm-no-conformance", str(SUITE), "-p", "no:cacheprovider",
        f"--junitxml={report}",
    )  # fmt: skip
    outcomes = {}
    for testcase in ElementTree.parse(report).getroot().iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in testcase.iter("property")}
        status = (
            "failed"
            if testcase.find("failure") is not None
            else ("skipped" if testcase.find("skipped") is not None else "passed")
        )
        outcomes[properties["wasm_case_id"]] = status
    inspection = inspect_bytes(read_module_bytes(module), "envoy")
    expected = {case_id: OUTCOME[inspection.result(case_id).status] for case_id in SUITE_CASE_IDS}
    assert outcomes == expected, result.stdout.str()
    assert result.ret == 1
    for finding in inspection.findings:
        assert finding.message[:60] in result.stdout.str(), f"{finding.case_id} message not shown"
    result.stdout.fnmatch_lines(["*not applicable: the host cannot reach any memory of this module*"])
