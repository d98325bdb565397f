"""The report's Envoy compatibility table: per release, whether it loads the module (an Envoy started
with it afresh, Envoy's own verdict) and the cases run there."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .. import timing
from ..envoy import EnvoyBinaryError, envoy_version
from ..envoy.bootstrap import V8_RUNTIME
from ..envoy.probe import probe_load
from ..fixtures import matrix, state
from ..module import WasmModule
from ..settings import Settings
from .model import (
    LOADED,
    NOT_PROBED,
    REFUSED,
    UNSUPPORTED,
    Compatibility,
    EnvoyInfo,
    TestResult,
    count,
)


def envoys_of(config: pytest.Config) -> list[EnvoyInfo]:
    the_matrix = matrix.matrix_of(config)
    if the_matrix is not None:
        return [
            EnvoyInfo(e.version, str(e.binary), V8_RUNTIME, e.wasm.supported, e.wasm.reason)
            for e in the_matrix.entries
        ]
    binary = config.stash[state.ENVOY_BINARY]
    try:
        version = envoy_version(binary)
    except EnvoyBinaryError as exc:
        return [EnvoyInfo("unknown", str(binary), V8_RUNTIME, True, str(exc))]
    return [EnvoyInfo(version, str(binary), V8_RUNTIME)]


def probes_loads(config: pytest.Config, settings: Settings) -> bool:
    """Whether the report's compatibility table probes each release's load of the module: for a
    report or a release matrix, with Envoys as local processes."""
    in_containers = bool(settings.values.get("envoy_image"))
    return not in_containers and bool(settings.report or matrix.matrix_of(config))


def compatibility(
    envoys: list[EnvoyInfo],
    results: list[TestResult],
    module: WasmModule | None,
    settings: Settings,
    probed: dict[str, tuple[str, str]] | None = None,
) -> list[Compatibility]:
    """One row per Envoy version: whether it loads the module (probed afresh, ahead of the cases when
    the plugin could) and the cases there."""
    loads: dict[str, tuple[str, str]] = {}
    if module is not None:
        supported = [e for e in envoys if e.wasm_supported]
        loads = probed if probed is not None else probe_loads(supported, module, settings)
    rows = []
    for envoy in envoys:
        counts = count(r for r in results if r.case is not None and r.envoy_version == envoy.version)
        if not envoy.wasm_supported:
            load, reason = UNSUPPORTED, envoy.note
        else:
            load, reason = loads.get(envoy.version, (NOT_PROBED, ""))
        rows.append(Compatibility(envoy.version, load, reason, counts))
    return rows


def probe_loads(
    envoys: list[EnvoyInfo], module: WasmModule, settings: Settings
) -> dict[str, tuple[str, str]]:
    """Start each Envoy once with the module (three at once) and keep its verdict."""
    with ThreadPoolExecutor(max_workers=max(1, min(3, len(envoys)))) as pool:
        return dict(pool.map(lambda envoy: _probe(envoy, module, settings), envoys))


def probe_loads_ahead(
    envoys: list[EnvoyInfo], module: WasmModule, settings: Settings
) -> dict[str, tuple[str, str]]:
    """``probe_loads`` one Envoy at a time, in the background of a run (its timings say so)."""
    with timing.background():
        return dict(_probe(envoy, module, settings) for envoy in envoys)


def _probe(envoy: EnvoyInfo, module: WasmModule, settings: Settings) -> tuple[str, tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="wasmhub-probe-") as workdir:
        result = probe_load(
            module.path,
            binary=envoy.binary,
            workdir=Path(workdir),
            root_id=settings.root_id,
            vm_id=settings.vm_id,
            configuration=settings.config,
            ready_timeout=min(15.0, float(settings.envoy_ready_timeout)),
        )
    return envoy.version, ((LOADED, "") if result.loaded else (REFUSED, result.reason))
