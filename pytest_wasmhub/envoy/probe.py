"""Does Envoy accept a module at all? Start it once with the module and report Envoy's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .binary import resolve_envoy_binary
from .bootstrap import EnvoySpec
from .handle import EnvoyStartError
from .process import ProcessRunner


@dataclass(frozen=True)
class LoadResult:
    loaded: bool
    reason: str  # Envoy's own words when it refused; empty when it loaded
    log: str
    exit_code: int | None = None


def probe_load(
    module_path: Path,
    *,
    binary: Path | str | None = None,
    workdir: Path,
    root_id: str = "",
    vm_id: str = "",
    configuration: str = "",
    ready_timeout: float = 15.0,
) -> LoadResult:
    """Start Envoy with the module as an HTTP filter, see whether it becomes ready, stop it."""
    runner = ProcessRunner(resolve_envoy_binary(binary), ready_timeout=ready_timeout)
    spec = EnvoySpec.for_module(Path(module_path), root_id=root_id, vm_id=vm_id, configuration=configuration)
    try:
        envoy = runner.start(spec, workdir)
    except EnvoyStartError as exc:
        return LoadResult(False, exc.reason, exc.log, exc.exit_code)
    log = envoy.logs()
    envoy.stop()
    return LoadResult(True, "", log)
