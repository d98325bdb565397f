"""The dynamic ABI cases (``conformance/host``) against modules built to fail one case each, and against
a well-behaved one: each bad module fails its own case and no other; the good one fails none."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pytest_wasmhub.resources import conformance_dir

MODULES = Path(__file__).resolve().parent / "modules"
ALL_HOST_CASES = {
    "HOST-LIFECYCLE-001", "HOST-ACTION-001", "HOST-BUDGET-001", "HOST-STATUS-001", "HOST-STATUS-002",
    "HOST-RESTRICT-001", "HOST-RESTRICT-002", "HOST-LEAK-001", "HOST-HOSTILE-001",
}  # fmt: skip
EXPECTED = {
    "leak_per_stream": {"HOST-LEAK-001"},
    "trap_on_header": {"HOST-HOSTILE-001"},
    "crash_on_status": {"HOST-STATUS-001", "HOST-STATUS-002"},
    "bad_action": {"HOST-ACTION-001"},
    "restricted_start": {"HOST-RESTRICT-001"},
    "add_header_0_2_1": set(),
    # trap on any status but those Envoy answers: the MUST sweep injects only Envoy's, the SHOULD any
    "strict_header_0_1_0": {"HOST-STATUS-002"},
    "strict_status": {"HOST-STATUS-002"},
}
# the looping module runs only the cases that stop it, each burns a full CPU budget
BUDGET_RUN = ("busy_loop", ("-k", "budget or plain_requests"))
# starts only with the root id and configuration the settings give Envoy
SETTINGS_RUN = ("needs_settings", ("--wasm-root-id=my_root", "--wasm-config=needed"))


def run_host_cases(workdir: Path, module: str, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Run the host cases on one module in a fresh pytest; the case verdicts from its JSON report."""
    report = workdir / f"{module}.json"
    command = [
        sys.executable, "-m", "pytest", str(conformance_dir() / "host"), f"--wasm={MODULES / f'{module}.wat'}",
        "--wasm-no-conformance", f"--wasm-report={report}", "-p", "no:cacheprovider", "-q", *extra,
    ]  # fmt: skip
    subprocess.run(command, cwd=workdir, capture_output=True, timeout=300, check=False)
    outcomes: dict[str, str] = {}
    for result in json.loads(report.read_text())["results"]:
        case, outcome = result["case"]["id"], result["outcome"]
        if outcomes.get(case) not in ("fail", "error"):  # a parametrized case fails when one run fails
            outcomes[case] = outcome
    return outcomes


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[str, dict[str, str]]:
    """Every module's case verdicts, the runs side by side."""
    workdir = tmp_path_factory.mktemp("host-cases")
    runs = [(name, ()) for name in EXPECTED] + [BUDGET_RUN, SETTINGS_RUN]
    with ThreadPoolExecutor(3) as pool:
        outcomes = pool.map(lambda run: run_host_cases(workdir, *run), runs)
    return {name: result for (name, _), result in zip(runs, outcomes, strict=True)}


def test_the_settings_reach_the_host_cases(verdicts):
    outcomes = verdicts["needs_settings"]
    assert failed(outcomes) == set(), outcomes
    assert outcomes["HOST-LIFECYCLE-001"] == "pass", outcomes


def failed(outcomes: dict[str, str]) -> set[str]:
    return {case for case, outcome in outcomes.items() if outcome in ("fail", "error")}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_each_module_fails_its_own_case_only(verdicts, module):
    assert set(verdicts[module]) == ALL_HOST_CASES
    assert failed(verdicts[module]) == EXPECTED[module], verdicts[module]


def test_a_module_that_loops_fails_the_budget_case(verdicts):
    assert failed(verdicts["busy_loop"]) == {"HOST-BUDGET-001", "HOST-LIFECYCLE-001"}
