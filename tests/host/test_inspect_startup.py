"""``wasmhub inspect`` runs the start-up: its verdict is real Envoy's, for modules Envoy refuses only once
it runs them (traps and false returns at start) and for modules that load."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pytest_wasmhub.cli import main
from pytest_wasmhub.envoy import probe_load
from pytest_wasmhub.module import compile_wat

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "tests" / "host" / "modules"
START_PROBES = [
    *sorted(MODULES.glob("start_*.wat")),
    MODULES / "restricted_start.wat",
    ROOT / "conformance" / "probes" / "trap_in_vm_start.wat",
    ROOT / "conformance" / "probes" / "refuse_configure.wat",
]
LOADING = [
    *sorted((ROOT / "tests" / "corpus").glob("good-*.wat")),
    *sorted((ROOT / "examples").glob("*.wat")),
]


def inspect_verdict(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str]:
    code = main(["inspect", str(path), *args])
    out = capsys.readouterr().out
    return code, next(line.split(None, 1)[1] for line in out.splitlines() if line.startswith("  verdict "))


@pytest.fixture(scope="module")
def envoy_verdicts(tmp_path_factory) -> dict[Path, tuple[bool, str]]:
    workdir = tmp_path_factory.mktemp("start-up")

    def verdict(source: Path) -> tuple[bool, str]:
        wasm = workdir / f"{source.parent.name}-{source.stem}.wasm"
        wasm.write_bytes(compile_wat(source))
        result = probe_load(wasm, workdir=workdir)
        return result.loaded, result.reason

    modules = START_PROBES + LOADING
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(modules, pool.map(verdict, modules), strict=True))


@pytest.mark.parametrize("module", START_PROBES, ids=lambda p: p.stem)
def test_inspect_predicts_a_refusal_at_start(capsys, envoy_verdicts, module):
    loaded, _ = envoy_verdicts[module]
    assert not loaded, f"Envoy started {module.name}"
    code, verdict = inspect_verdict(capsys, module)
    assert verdict.startswith("REFUSED: Envoy will refuse it at start: "), verdict
    assert "run in the in-process host" in verdict and code == 1
    # the static checks alone cannot see it
    code, verdict = inspect_verdict(capsys, module, "--static")
    assert verdict.startswith("LOADS: ") and "start-up not run: --static" in verdict


@pytest.mark.parametrize("module", LOADING, ids=lambda p: p.stem)
def test_inspect_still_says_loads_for_what_envoy_starts(capsys, envoy_verdicts, module):
    loaded, reason = envoy_verdicts[module]
    assert loaded, f"Envoy refused {module.name}: {reason}"
    code, verdict = inspect_verdict(capsys, module)
    assert code == 0 and verdict.startswith("LOADS: Envoy will load this module and start it"), verdict


def test_the_start_up_runs_with_the_plugin_settings(capsys):
    module = MODULES / "needs_settings.wat"
    assert inspect_verdict(capsys, module)[1].startswith(
        "REFUSED: Envoy will refuse it at start: proxy_on_configure"
    )
    code, verdict = inspect_verdict(capsys, module, "--root-id", "my_root", "--config", "needed")
    assert code == 0 and verdict.startswith("LOADS: "), verdict


def test_the_json_verdict_includes_the_run(capsys):
    import json
    from importlib import resources

    import jsonschema

    schema = json.loads(
        resources.files("pytest_wasmhub.abi").joinpath("schema", "inspection.schema.json").read_text()
    )
    code = main(["inspect", str(MODULES / "start_vm_start_false.wat"), "--json"])
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, schema)
    assert code == 1 and document["verdict"] == "refused" and document["refused_by_host"] is True
