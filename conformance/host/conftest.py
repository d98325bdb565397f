"""Fixtures of the dynamic ABI cases: the module under test in the in-process host
(``pytest_wasmhub.host``), which records every call across the boundary and meters each callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_wasmhub.cases import not_applicable
from pytest_wasmhub.host import ModuleLoadError, ProxyWasmHost, StartError
from pytest_wasmhub.host.checks import conformance_host, is_http_filter
from pytest_wasmhub.module import WasmModule


@pytest.fixture
def module_host(wasm_module: WasmModule) -> Iterator[Callable[..., ProxyWasmHost]]:
    """Make started hosts running the module under test (closed after the case); the case is not
    applicable when the module cannot start or has no HTTP callbacks."""
    hosts: list[ProxyWasmHost] = []

    def make(**options: Any) -> ProxyWasmHost:
        try:
            host = conformance_host(wasm_module, **options)
        except (ModuleLoadError, StartError) as exc:
            not_applicable(f"the module does not start in the in-process host ({exc}); see the ABI cases")
        hosts.append(host)
        if not is_http_filter(host):
            not_applicable("the module has no HTTP callbacks")
        return host

    yield make
    for host in hosts:
        host.close()
