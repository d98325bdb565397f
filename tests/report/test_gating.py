"""The exit code a registry gates on, for each combination of MUST and SHOULD outcomes, and the outcome
classes kept apart. Cases are made in pytester files with ``@case``, so every combination is exact."""

from __future__ import annotations

import itertools
import json

import pytest
from report_helpers import EXAMPLE, read_report

pytestmark = pytest.mark.usefixtures("clean_env")

# The body of a case that ends with each outcome; "error" is the suite breaking in set-up.
BODIES = {
    "pass": "assert True",
    "fail": "assert 1 == 2, 'the module did the wrong thing'",
    "error": "pass",
    "skip": "pytest.skip('cannot run here')",
    "not_applicable": "not_applicable('module has no such callback')",
}

PREAMBLE = """
import pytest
from pytest_wasmhub.cases import case, MUST, SHOULD, not_applicable

@pytest.fixture
def broken_suite():
    raise RuntimeError("the suite's own fixture broke")
"""


def case_source(case_id: str, level: str, outcome: str) -> str:
    fixture = "broken_suite" if outcome == "error" else ""
    # the same metadata whatever the outcome: the case registry is shared by pytester's in-process runs
    return f"""
@case("{case_id}", area="abi", level={level}, title="a {level} case", spec="a case made for the gating test")
def test_{case_id.replace("-", "_").lower()}({fixture}):
    {BODIES[outcome]}
"""


def expected_exit(must: str, should: str, strict: bool) -> int:
    """The documented rule, written out independently of pytest_wasmhub.report.verdict."""
    met = ("pass", "not_applicable")
    # a MUST case must have passed: a run whose only MUST case does not apply proves nothing
    ok = must == "pass" and (should in met or not strict)
    return 0 if ok else 1


COMBINATIONS = list(itertools.product(BODIES, ("pass", "fail"), (False, True)))


@pytest.mark.parametrize(
    ("must", "should", "strict"),
    COMBINATIONS,
    ids=[f"must-{m}-should-{s}{'-strict' if st else ''}" for m, s, st in COMBINATIONS],
)
def test_exit_code_follows_the_must_should_rule(pytester, must, should, strict):
    pytester.makepyfile(
        PREAMBLE
        + case_source("GATE-MUST-001", "MUST", must)
        + case_source("GATE-SHOULD-001", "SHOULD", should)
    )
    report = pytester.path / "report.json"
    args = ["-p", "no:cacheprovider", "--wasm-report", str(report)] + (["--wasm-strict"] if strict else [])
    result = pytester.runpytest(*args)
    assert result.ret == expected_exit(must, should, strict), result.stdout.str()
    document = read_report(report)
    assert document["verdict"]["exit_code"] == result.ret
    outcomes = {r["case"]["id"]: r["outcome"] for r in document["results"]}
    assert outcomes == {"GATE-MUST-001": must, "GATE-SHOULD-001": should}
    status = document["verdict"]["status"]
    if result.ret:
        assert status == "not_conformant"
    else:
        assert status == ("conformant" if should == "pass" else "conformant_with_warnings")
    result.stdout.fnmatch_lines([f"verdict: {status.replace('_', ' ').upper()}*exit code {result.ret}*"])


def test_outcomes_are_kept_apart_with_their_reasons(pytester):
    pytester.makepyfile(
        PREAMBLE
        + "".join(case_source(f"KIND-{o.upper().replace('_', '')}-001", "MUST", o) for o in BODIES)
        + """
@pytest.fixture
def refusing_fixture():
    pytest.fail("Envoy refused the module: missing import env.proxy_nope", pytrace=False)

@case("KIND-FIXTUREFAIL-001", area="envoy", level=MUST, title="t", spec="s")
def test_fixture_verdict(refusing_fixture):
    pass

@case("KIND-XFAIL-001", area="abi", level=SHOULD, title="t", spec="s")
@pytest.mark.xfail(reason="known to fail", strict=False)
def test_known_failure():
    assert False

def test_an_authors_own_test():
    pass
"""
    )
    report = pytester.path / "report.json"
    pytester.runpytest("-p", "no:cacheprovider", "--wasm-report", str(report))
    document = read_report(report)
    by_id = {r["case"]["id"]: r for r in document["results"] if r["case"]}
    for outcome in BODIES:
        assert by_id[f"KIND-{outcome.upper().replace('_', '')}-001"]["outcome"] == outcome
    assert by_id["KIND-FAIL-001"]["message"] == "the module did the wrong thing"
    assert "assert 1 == 2" in by_id["KIND-FAIL-001"]["details"]
    assert by_id["KIND-ERROR-001"]["message"] == "set-up error: RuntimeError: the suite's own fixture broke"
    assert by_id["KIND-SKIP-001"]["message"] == "cannot run here"
    assert by_id["KIND-NOTAPPLICABLE-001"]["message"] == "module has no such callback"
    # a fixture's pytest.fail is a verdict on the module, not the suite breaking
    assert by_id["KIND-FIXTUREFAIL-001"]["outcome"] == "fail"
    assert by_id["KIND-FIXTUREFAIL-001"]["message"].startswith("Envoy refused the module")
    assert by_id["KIND-XFAIL-001"]["outcome"] == "fail"
    assert by_id["KIND-XFAIL-001"]["message"] == "expected failure: known to fail"
    other = [r for r in document["results"] if r["case"] is None]
    assert [(r["nodeid"].rsplit("::")[-1], r["outcome"]) for r in other] == [
        ("test_an_authors_own_test", "pass")
    ]
    # failing first: the results are ordered fail, error, skip, pass, not applicable
    order = [r["outcome"] for r in document["results"]]
    assert order == sorted(order, key=["fail", "error", "skip", "pass", "not_applicable"].index)
    assert document["summary"]["cases"] == {"fail": 3, "error": 1, "skip": 1, "pass": 1, "not_applicable": 1}


def test_an_empty_run_never_passes(pytester):
    """--wasm given, the suite collected, but every case deselected: the author's test passing is not enough."""
    pytester.makepyfile("def test_an_authors_own_test():\n    pass\n")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--wasm", str(EXAMPLE), "-m", "not wasm_must and not wasm_should"
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*1 passed*", "verdict: PARTIAL: * MUST case(s) deselected*exit code 1*"])


def test_an_ordinary_author_run_is_not_gated(pytester):
    """No --wasm and no case: pytest's own exit code, and no conformance summary."""
    pytester.makepyfile("def test_one():\n    pass\n\ndef test_two():\n    assert 0\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == 1
    assert "wasmhub conformance" not in result.stdout.str()
    pytester.makepyfile("def test_one():\n    pass\n")
    assert pytester.runpytest("-p", "no:cacheprovider").ret == 0


def test_an_authors_failing_test_fails_a_conformant_run(pytester):
    pytester.makepyfile(
        PREAMBLE + case_source("GATE-MUST-001", "MUST", "pass") + "\ndef test_authors_own():\n    assert 0\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["verdict: CONFORMANT -> exit code 1*"])


@pytest.mark.parametrize(
    ("level", "kept"), [("must", {"MUST"}), ("should", {"SHOULD"}), ("all", {"MUST", "SHOULD"})]
)
def test_level_option_deselects_the_other_level(pytester, level, kept):
    pytester.makepyfile(
        PREAMBLE
        + case_source("LEVEL-MUST-001", "MUST", "pass")
        + case_source("LEVEL-SHOULD-001", "SHOULD", "fail")
    )
    report = pytester.path / "report.json"
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--wasm-level", level, "--wasm-strict", "--wasm-report", str(report)
    )
    document = read_report(report)
    assert {r["case"]["level"] for r in document["results"]} == kept
    # strict: the SHOULD failure fails the run only when it was selected
    assert result.ret == (1 if "SHOULD" in kept else 0)
    assert json.loads(report.read_text())["configuration"]["level"] == level


def test_bad_level_is_a_usage_error(pytester):
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--wasm-level", "may")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--wasm-level: 'may' is not valid; valid values: must, should, all*"])


def test_report_path_must_be_json(pytester):
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--wasm-report", "out.html")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--wasm-report: 'out.html': give the JSON report's path, ending in .json*"])


def test_collect_only_lists_the_cases(pytester):
    pytester.makepyfile(
        PREAMBLE
        + case_source("LIST-MUST-001", "MUST", "pass")
        + case_source("LIST-SHOULD-001", "SHOULD", "pass")
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "wasmhub: 2 conformance cases",
            "*LIST-MUST-001*MUST*abi*a MUST case*",
            "*LIST-SHOULD-001*SHOULD*abi*a SHOULD case*",
        ]
    )
    assert result.ret == 0  # collecting is not a run: no verdict


def test_secrets_stay_out_of_the_reports(pytester):
    pytester.makepyfile(PREAMBLE + case_source("SECRET-MUST-001", "MUST", "pass"))
    report = pytester.path / "report.json"
    config = '{"upstream": "https://svc:hunter2@auth.local/", "api_token": "tok-123", "nested": {"password": "pw-456"}, "mode": "strict"}'
    result = pytester.runpytest(
        "-p", "no:cacheprovider", f"--wasm-config={config}", "--wasm-report", str(report)
    )
    assert result.ret == 0
    for written in (report, report.with_suffix(".html"), report.with_suffix(".junit.xml")):
        text = written.read_text()
        for secret in ("hunter2", "tok-123", "pw-456"):
            assert secret not in text, f"{secret} leaked into {written.name}"
    shown = json.loads(read_report(report)["configuration"]["config"])
    assert shown == {
        "upstream": "https://svc:[REDACTED]@auth.local/",
        "api_token": "[REDACTED]",
        "nested": {"password": "[REDACTED]"},
        "mode": "strict",
    }


def test_a_report_asked_for_with_no_case_is_not_conformant(pytester):
    pytester.makepyfile("def test_an_authors_own_test():\n    pass\n")
    report = pytester.path / "report.json"
    result = pytester.runpytest("-p", "no:cacheprovider", "--wasm-report", str(report))
    assert result.ret == 1
    assert read_report(report)["verdict"]["reasons"] == ["no conformance case ran"]


def test_an_unwritable_report_path_stops_the_run_at_once(pytester):
    pytester.makepyfile("def test_one():\n    pass\n")
    (pytester.path / "a-file").write_text("")
    result = pytester.runpytest("-p", "no:cacheprovider", "--wasm-report", "a-file/report.json")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--wasm-report: 'a-file/report.json': a-file is not a directory*"])
    assert sorted(p.name for p in pytester.path.iterdir()) == [
        "a-file",
        "test_an_unwritable_report_path_stops_the_run_at_once.py",
    ]


def test_a_report_that_cannot_be_written_at_the_end_keeps_the_summary_and_exit_code(pytester):
    """The report's directory becomes a file during the run: the verdict and its exit code stand, the summary
    says the report is missing, and no half-written file is left."""
    pytester.makepyfile(
        PREAMBLE
        + case_source("LATE-MUST-001", "MUST", "pass")
        + """
def test_takes_the_directory_away():
    import pathlib
    pathlib.Path("out").write_text("now a file")
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--wasm-report", "out/report.json")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["verdict: CONFORMANT -> exit code 0*", "--wasm-report: cannot write the report: *"]
    )
    assert (pytester.path / "out").read_text() == "now a file"


@pytest.mark.parametrize(
    ("selection", "reason"),
    [
        (["-m", "wasm_should"], "1 MUST case(s) deselected*"),
        (["--wasm-level", "should"], "1 MUST case(s) deselected*"),
        (["-k", "not test_part_must"], "1 MUST case(s) deselected*"),
        # the SHOULD case fails first (only a warning) and -x stops the run before the MUST case
        (["-x"], "1 selected MUST case(s) did not run (the run stopped early)"),
    ],
)
def test_a_run_that_leaves_must_cases_out_is_partial(pytester, selection, reason):
    """Only SHOULD cases ran: no verdict on the module, and never exit 0."""
    should = "fail" if selection == ["-x"] else "pass"
    pytester.makepyfile(
        PREAMBLE
        + case_source("PART-SHOULD-001", "SHOULD", should)
        + case_source("PART-MUST-001", "MUST", "pass")
    )
    report = pytester.path / "report.json"
    result = pytester.runpytest("-p", "no:cacheprovider", "--wasm-report", str(report), *selection)
    assert result.ret == 1
    assert read_report(report)["verdict"]["status"] == "partial"
    result.stdout.fnmatch_lines([f"verdict: PARTIAL: {reason}* -> exit code 1*"])


def test_markers_select_an_area(pytester):
    pytester.makepyfile(
        PREAMBLE
        + case_source("AREA-ABI-001", "MUST", "pass")
        + """
@case("AREA-ENVOY-001", area="envoy", level=MUST, title="an envoy case", spec="made for this test")
def test_envoy_area():
    pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", "-m", "wasm_envoy", "-v")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*test_envoy_area PASSED*"])


def test_the_schema_is_valid_and_rejects_broken_reports(pytester):
    import copy

    import jsonschema

    from pytest_wasmhub.report.json_report import schema, validation_errors

    jsonschema.Draft202012Validator.check_schema(schema())
    pytester.makepyfile(PREAMBLE + case_source("SCHEMA-MUST-001", "MUST", "fail"))
    report = pytester.path / "report.json"
    pytester.runpytest("-p", "no:cacheprovider", "--wasm-report", str(report))
    document = read_report(report)
    for path, value in [
        (("results", 0, "outcome"), "maybe"),
        (("results", 0, "message"), ""),  # a failure must say why
        (("verdict", "status"), "fine"),
        (("summary", "cases", "pass"), -1),
        (("backend",), "vm"),
    ]:
        broken = copy.deepcopy(document)
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert validation_errors(broken), f"the schema accepted {path} = {value!r}"
