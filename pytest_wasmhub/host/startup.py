"""Run a module's start-up the way Envoy does (the wasm start function, ``_initialize``/``_start`` under
Envoy's start-up restrictions, then ``proxy_on_context_create``, ``proxy_on_vm_start`` and
``proxy_on_configure`` of the root) and say, in Envoy's terms, whether Envoy will refuse it at start.

``wasmhub inspect`` uses it after the static checks: they cannot see a trap or a ``false``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import HostLimitation, ModuleLoadError, StartError
from .host import ProxyWasmHost

# what the run covers, for the verdict line
WHAT_RUNS = "start function, _initialize/_start, proxy_on_vm_start, proxy_on_configure"


@dataclass(frozen=True)
class StartUpRun:
    ran: bool  # False: the in-process host could not run the module (``reason`` says why)
    refused: bool  # Envoy will refuse the module at start
    reason: str  # what happened, in Envoy's terms ("proxy_on_vm_start returned false")

    @property
    def envoy_words(self) -> str:
        return f"Envoy will refuse it at start: {self.reason}"


def run_start_up(module: bytes | str, **options: Any) -> StartUpRun:
    """Start the module in the in-process host (plugin settings in ``options``: root_id, vm_id,
    plugin_configuration, vm_configuration, environment) and close it again."""
    try:
        host = ProxyWasmHost(module, **options)
    except ModuleLoadError as exc:
        return StartUpRun(True, True, _without_name(str(exc)))
    try:
        host.start()
    except HostLimitation as exc:
        return StartUpRun(False, False, _without_name(str(exc)))
    except StartError as exc:
        return StartUpRun(True, True, _reason(exc))
    except ModuleLoadError as exc:  # the start function trapped while instantiating
        return StartUpRun(True, True, _without_name(str(exc)))
    finally:
        host.close()
    return StartUpRun(True, False, "")


def _reason(error: StartError) -> str:
    failure = error.failure
    if failure is None:  # a callback returned false
        return _without_name(str(error)).split(" (Envoy:")[0]
    if failure.kind == "restricted":
        return f"{failure.callback} made a call Envoy forbids during start-up: {failure.message}"
    if failure.kind == "budget":
        return f"{failure.callback} did not return (it ran past the CPU budget)"
    return f"{failure.callback} trapped: {failure.message}"


def _without_name(message: str) -> str:
    """Host messages start with the module's name; the verdict line names it already."""
    head, separator, rest = message.partition(": ")
    return rest if separator and ("/" in head or head.endswith((".wasm", ".wat", ">"))) else message
