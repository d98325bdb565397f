"""``wasmhub cases``: the cases of the shared suite, as pytest collects them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pytest_wasmhub.cases import AREAS, CASE_ID
from pytest_wasmhub.cli import main


def wasmhub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_wasmhub.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def all_cases() -> list[dict]:
    done = wasmhub("cases", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cases_lists_the_shared_suite_as_json(all_cases):
    cases = all_cases
    ids = [c["id"] for c in cases]
    assert "ENVOY-LOAD-001" in ids  # the foundation's case; the other areas add theirs
    assert len(ids) == len(set(ids))
    for entry in cases:
        assert CASE_ID.match(entry["id"]) and entry["level"] in ("MUST", "SHOULD") and entry["area"] in AREAS
        assert entry["title"] and entry["spec"] and entry["tests"]
        assert all(test.startswith("conformance/") for test in entry["tests"])
    load = next(c for c in cases if c["id"] == "ENVOY-LOAD-001")
    assert load["tests"] == ["conformance/envoy/test_load.py::" + load["tests"][0].split("::")[1]]


def test_cases_filters_by_area_and_level(all_cases, capsys):
    everything = all_cases
    should = json.loads(wasmhub("cases", "--json", "--level", "should").stdout)
    assert should == [c for c in everything if c["level"] == "SHOULD"]
    text = wasmhub("cases", "--area", "envoy")
    assert text.returncode == 0
    lines = text.stdout.strip().splitlines()
    envoy_cases = [c for c in everything if c["area"] == "envoy"]
    assert lines[-1] == f"{len(envoy_cases)} cases (of {len(everything)})"
    assert all(line.split()[2] == "envoy" for line in lines[:-1])
    with pytest.raises(SystemExit) as exit_info:
        main(["cases", "--area", "nowhere"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'nowhere'" in capsys.readouterr().err
