"""Every corpus, example and test module runs in the host: it loads (or is refused with a one-line
reason, as Envoy refuses it; see test_differential.py) and plain traffic goes through without a host
error, whatever the module does."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_wasmhub.host import HostError, ProxyCrashError, ProxyWasmHost
from pytest_wasmhub.host.checks import HOSTILE_TRAFFIC, STANDARD_TRAFFIC, answer_callout, echo_upstream, send

ROOT = Path(__file__).resolve().parents[2]
MODULE_DIRS = (ROOT / "tests" / "corpus", ROOT / "examples", ROOT / "tests" / "host" / "modules")
MODULES = sorted(p for d in MODULE_DIRS for p in d.glob("*.wat"))


def test_the_folders_are_there():
    assert {p.parent.name for p in MODULES} == {"corpus", "examples", "modules"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_module_runs_in_the_host(path):
    try:
        host = ProxyWasmHost(
            path, fuel_per_callback=5_000_000, http_call_handler=answer_callout, upstream=echo_upstream
        ).start()
    except HostError as exc:  # refused with one line that names the module
        assert "\n" not in str(exc) and str(exc).startswith(str(path))
        return
    try:
        for request in (*STANDARD_TRAFFIC, *HOSTILE_TRAFFIC[:2]):
            result = send(host, request)
            assert result.response is not None or result.stalled_at or result.reset, result.describe()
    except ProxyCrashError:
        assert host.vm.raw_memory is None  # only a module without memory takes Envoy down
    host.advance_time(1000)
    host.close()
