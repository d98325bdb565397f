"""Assertions shared by conformance cases and author tests, with messages that quote Envoy."""

from __future__ import annotations

from typing import Any

import pytest

from .envoy import EnvoyFactory, EnvoyHandle, EnvoyStartError
from .module import WasmModule


def start_envoy(
    envoy_factory: EnvoyFactory, module: WasmModule | None = None, **overrides: Any
) -> EnvoyHandle:
    """Start Envoy inside a test, so a refusal is the case's failure (with Envoy's reason), not an error."""
    __tracebackhide__ = True
    try:
        return envoy_factory(module, **overrides)
    except EnvoyStartError as exc:
        pytest.fail(f"Envoy refused the module: {exc.reason}", pytrace=False)


def no_wasm_errors(envoy: EnvoyHandle, doing: str) -> None:
    """Fail when Envoy logged a Wasm error (a trap, a failed VM) while ``doing`` something."""
    __tracebackhide__ = True
    errors = envoy.wasm_errors()
    if errors:
        pytest.fail(f"Envoy logged Wasm errors while {doing}: " + " | ".join(errors[:5]), pytrace=False)
