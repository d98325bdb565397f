"""``wasmhub inspect``: a readable report by default, JSON on request, exit 1 when a MUST case fails."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from abi_corpus import CORPUS, corpus

from pytest_wasmhub.cli import main

SCHEMA = json.loads(
    resources.files("pytest_wasmhub.abi").joinpath("schema", "inspection.schema.json").read_text()
)


def inspect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_module_with_several_problems_lists_them_all_with_their_case_ids(capsys):
    code, out, _ = inspect(capsys, str(CORPUS / "bad-many-problems.wat"))
    assert code == 1
    for case_id in ("ABI-MARKER-002", "ABI-MEMORY-001", "ABI-CALLBACK-001", "ABI-IMPORT-001"):
        assert case_id in out
    assert "REFUSED: Envoy will refuse to load this module" in out
    assert "env.proxy_dispatch_http_call" in out and "proxy_on_tick" in out
    assert "4 problem(s) in 4 case(s): 3 MUST, 1 SHOULD" in out


def test_good_module_exits_zero_and_describes_the_module(capsys):
    code, out, _ = inspect(capsys, str(CORPUS / "good-service-0.2.1.wat"), "--all")
    assert code == 0
    assert "LOADS: Envoy will load this module" in out
    assert "root-only service" in out
    assert "HTTP callouts" in out and "timers" in out and "shared data" in out and "shared queues" in out
    assert out.count("\npass ") == 20


def test_should_failures_alone_exit_zero(capsys):
    code, out, _ = inspect(capsys, str(CORPUS / "bad-two-markers.wat"))
    assert code == 0 and "WARN SHOULD ABI-MARKER-002" in out


def test_no_memory_module_is_reported_as_crashing_envoy(capsys):
    code, out, _ = inspect(capsys, str(CORPUS / "bad-no-memory.wat"))
    assert code == 1
    assert "CRASHES: Envoy loads this module, then the whole proxy crashes" in out


@pytest.mark.parametrize("module", corpus(), ids=lambda m: m.name)
def test_json_output_follows_the_documented_schema(capsys, module):
    code, out, _ = inspect(capsys, str(module.path), "--json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert {f["case_id"] for f in document["findings"]} == module.must_fail
    assert code == (1 if any(f["level"] == "MUST" for f in document["findings"]) else 0)


def test_json_for_bytes_that_are_not_wasm(capsys, tmp_path: Path):
    path = tmp_path / "notes.wasm"
    path.write_text("this is not a module\n")
    code, out, _ = inspect(capsys, str(path), "--json", "--host", "spec")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert code == 1 and document["verdict"] == "refused" and document["memory"] is None
    assert document["host"]["name"] == "spec"


def test_host_profile_changes_the_verdict(capsys):
    path = str(CORPUS / "bad-memory-imported.wat")
    assert inspect(capsys, path)[0] == 0
    code, out, _ = inspect(capsys, path, "--host", "spec")
    assert code == 1 and "ABI-MEMORY-001" in out


def test_missing_file_is_a_one_line_usage_error(capsys, tmp_path: Path):
    code, out, err = inspect(capsys, str(tmp_path / "nope.wasm"))
    assert code == 2 and out == ""
    assert err.strip() == f"wasmhub inspect: {tmp_path / 'nope.wasm'}: no such file"


def test_unknown_host_profile_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["inspect", str(CORPUS / "good-http-0.2.1.wat"), "--host", "nginx"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'nginx'" in capsys.readouterr().err
