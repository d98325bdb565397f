"""Fixtures of the dynamic ABI cases: the module under test in the in-process host
(``pytest_wasmhub.host``), which records every call across the boundary and meters each callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_wasmhub.cases import not_applicable
from pytest_wasmhub.fixtures.host import host_settings
from pytest_wasmhub.host import ModuleLoadError, ProxyWasmHost, StartError
from pytest_wasmhub.host.checks import conformance_host, is_http_filter
from pytest_wasmhub.kinds import HTTP, KindDecision
from pytest_wasmhub.module import WasmModule
from pytest_wasmhub.settings import Settings


@pytest.fixture
def host_options(wasmhub_settings: Settings) -> dict[str, Any]:
    """The plugin settings the suite's Envoys get (root id, VM id, configurations, clusters), as host
    options: every host case runs the module as Envoy is configured to run it."""
    return host_settings(wasmhub_settings)


@pytest.fixture
def module_refusal(wasm_module: WasmModule, host_options: dict[str, Any]) -> str | None:
    """Why the module does not start in the host as Envoy would refuse it (None: it starts). A module
    Envoy runs but this host cannot ends the case's set-up in an error (``HostLimitation``), never a fail."""
    return _refusal(wasm_module, host_options)


@pytest.fixture
def module_host(
    wasm_module: WasmModule,
    host_options: dict[str, Any],
    module_refusal: str | None,
    wasm_kinds: KindDecision,
) -> Iterator[Callable[..., ProxyWasmHost]]:
    """Make started hosts running the module under test (closed after the case); the case is not
    applicable when the module cannot start (as Envoy refuses it) or has no HTTP callbacks, and ends in
    an error (set-up) when the host cannot run a module Envoy runs."""
    hosts: list[ProxyWasmHost] = []
    refusal = module_refusal

    def make(**options: Any) -> ProxyWasmHost:
        if HTTP not in wasm_kinds.kinds:  # the host cases send HTTP streams
            why = wasm_kinds.left_out.get(HTTP, "not among --wasm-kind")
            not_applicable(
                f"the module is not an HTTP filter ({why}); it runs as {', '.join(wasm_kinds.kinds)}"
            )
        if refusal is not None and not options.keys() & START_OPTIONS:
            not_applicable(refusal)  # the same start-up: it would fail (or spend its budget) again
        try:
            host = conformance_host(wasm_module, **{**host_options, **options})
        except (ModuleLoadError, StartError) as exc:
            not_applicable(f"the module does not start in the in-process host ({exc}); see the ABI cases")
        hosts.append(host)
        if not is_http_filter(host):
            not_applicable("the module has no HTTP callbacks")
        return host

    yield make
    for host in hosts:
        host.close()


# per module and options, once a run: a start-up that never ends costs the whole fuel budget each time
_refusals: dict[tuple[str, str], str | None] = {}
# options that change how the module starts
START_OPTIONS = frozenset({"root_id", "vm_id", "plugin_configuration", "vm_configuration", "environment"})


def _refusal(wasm_module: WasmModule, host_options: dict[str, Any]) -> str | None:
    """Why the module does not start (as Envoy would refuse it), or None when it starts."""
    # the plain settings (handlers are new objects per case, and do not change the start-up)
    plain = sorted((k, v) for k, v in host_options.items() if isinstance(v, (str, int, tuple, type(None))))
    key = (wasm_module.sha256, repr(plain))
    if key not in _refusals:
        try:
            conformance_host(wasm_module, **host_options).close()
            _refusals[key] = None
        except (ModuleLoadError, StartError) as exc:
            _refusals[key] = f"the module does not start in the in-process host ({exc}); see the ABI cases"
    return _refusals[key]
