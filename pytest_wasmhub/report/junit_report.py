"""JUnit XML for CI dashboards: one ``testcase`` per result, named by case id (and Envoy version), with
the case id, level, area and Envoy version as properties. Not applicable cases are ``skipped`` with a
message that says so; errors are ``error``, not ``failure``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .json_report import write_atomically
from .model import ERROR, FAIL, NOT_APPLICABLE, SKIP, RunReport, TestResult, count, ordered


def junit_xml(report: RunReport) -> str:
    counts = count(report.results)
    suite = ET.Element(
        "testsuite",
        {
            "name": "wasmhub-conformance",
            "tests": str(len(report.results)),
            "failures": str(counts[FAIL]),
            "errors": str(counts[ERROR]),
            "skipped": str(counts[SKIP] + counts[NOT_APPLICABLE]),
            "time": f"{report.duration:.3f}",
            "timestamp": report.created,
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("wasmhub_verdict", report.verdict.status),
        ("wasmhub_exit_code", str(report.verdict.exit_code)),
        ("wasmhub_suite_version", report.suite_version),
        ("wasmhub_module_sha256", (report.module or {}).get("sha256") or ""),
        ("wasmhub_envoy_versions", ",".join(e.version for e in report.envoys)),
        ("wasmhub_backend", report.backend),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for result in ordered(report.results):
        module_path, _, name = result.nodeid.rpartition("::")
        testcase = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": module_path.replace("/", ".").removesuffix(".py") or "wasmhub",
                "name": result.label if result.case else name or result.nodeid,
                "time": f"{result.duration:.3f}",
            },
        )
        case_properties = ET.SubElement(testcase, "properties")
        pairs = [("wasm_outcome", result.outcome), ("nodeid", result.nodeid)]
        if result.case:
            pairs += [
                ("wasm_case_id", result.case.id),
                ("wasm_case_level", result.case.level),
                ("wasm_case_area", result.case.area),
            ]
        if result.envoy_version:
            pairs.append(("wasm_envoy_version", result.envoy_version))
        for search in result.guided:
            pairs.append(("wasm_guided_seed", str(search["seed"])))
            if search.get("envoy"):
                pairs.append(("wasm_guided_reproducer", search["envoy"]["curl"]))
        for name, value in pairs:
            ET.SubElement(case_properties, "property", {"name": name, "value": value})
        out = _system_out(result)
        if out:
            ET.SubElement(testcase, "system-out").text = out
        if result.outcome == FAIL:
            ET.SubElement(testcase, "failure", {"message": result.message}).text = result.details
        elif result.outcome == ERROR:
            ET.SubElement(testcase, "error", {"message": result.message}).text = result.details
        elif result.outcome == SKIP:
            ET.SubElement(testcase, "skipped", {"message": result.message})
        elif result.outcome == NOT_APPLICABLE:
            ET.SubElement(testcase, "skipped", {"message": "not applicable: " + result.message})
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def _system_out(result: TestResult) -> str:
    """What the module changed and what Envoy did with each request, for CI systems that show it."""
    lines = []
    for change in result.changes:
        lines.append(f"what the module changed in {change['request']}:")
        lines += [f"  {line}" for line in change["summary"]]
    if result.requests:
        lines.append("requests and Envoy's record:")
        lines += [f"  {sent['outcome']}: {sent['reason']}" for sent in result.requests]
    for search in result.guided:
        lines.append(
            f"guided search ({search['kind']}): seed {search['seed']}, {search['streams']} host streams in "
            f"{search['seconds']} s"
        )
        if search.get("finding"):
            lines.append(f"  in the in-process host: {search['finding']['host_failure']}")
        if search.get("envoy"):
            lines.append(f"  reproduce: {search['envoy']['curl']}")
            lines.append(f"  Envoy's log: {search['envoy']['envoy_log']}")
    return "\n".join(lines)


def write_junit(report: RunReport, path: Path) -> None:
    write_atomically(path, junit_xml(report))
