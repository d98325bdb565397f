"""``docs/host-coverage.md`` lists every host function of the spec, as the host really covers it."""

from __future__ import annotations

from pathlib import Path

from pytest_wasmhub.abi import ABI_VERSIONS, load_abi
from pytest_wasmhub.host.answers.coverage import AS_ENVOY, UNIMPLEMENTED, render, rows
from pytest_wasmhub.host.answers.table import envoy_answers
from pytest_wasmhub.host.hostcalls import ENV_FUNCTIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "host-coverage.md"


def test_the_coverage_document_is_current():
    assert DOC.read_text() == render(), (
        "docs/host-coverage.md is out of date: python -m pytest_wasmhub.host.answers.coverage > "
        "docs/host-coverage.md"
    )


def test_every_spec_host_function_has_a_row_that_says_what_the_host_does():
    spec = {name for version in ABI_VERSIONS for name in load_abi(version).host_functions}
    table = {name: status for name, _, _, status, _ in rows()}
    assert set(table) == spec
    for name, status in table.items():
        assert (status == UNIMPLEMENTED) == (name not in ENV_FUNCTIONS and status != "not linked"), name
        if status == AS_ENVOY:
            assert name in envoy_answers().functions(), name
