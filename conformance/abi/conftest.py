"""Fixtures of the static ABI cases: one shared inspection of the module, and its verdict per case.

The cases only read the inspector's result for their own case id, so ``wasmhub inspect`` and the suite
can never disagree. The inspection is cached per (module sha256, host profile) in the library.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_wasmhub.abi.catalogue import FAIL, NOT_APPLICABLE
from pytest_wasmhub.abi.inspector import Inspection, inspect_module
from pytest_wasmhub.cases import not_applicable
from pytest_wasmhub.envoy import envoy_version
from pytest_wasmhub.fixtures import state
from pytest_wasmhub.module import WasmModule
from pytest_wasmhub.settings import Settings


@pytest.fixture
def abi_inspection(
    pytestconfig: pytest.Config, wasm_module: WasmModule, wasmhub_settings: Settings
) -> Inspection:
    """The static inspection of the module under test, for the host profile (``--wasm-host-profile``) as
    the session's Envoy release has it (older releases link fewer WASI functions)."""
    release = envoy_version(pytestconfig.stash[state.ENVOY_BINARY])
    return inspect_module(wasm_module, wasmhub_settings.host_profile, release)


@pytest.fixture
def abi_verdict(abi_inspection: Inspection) -> Callable[[str], None]:
    """``abi_verdict(case_id)``: pass, fail with the inspector's findings, or end as not applicable."""

    def judge(case_id: str) -> None:
        __tracebackhide__ = True
        result = abi_inspection.result(case_id)
        if result.status == NOT_APPLICABLE:
            not_applicable(result.reason)
        if result.status == FAIL:
            lines = [f.message for f in result.findings]
            text = lines[0] if len(lines) == 1 else "\n".join(f"- {line}" for line in lines)
            pytest.fail(f"{text}\n(host profile: {abi_inspection.host.name})", pytrace=False)

    return judge
