"""Fixtures of the static ABI cases: one shared inspection of the module, and its verdict per case.

The cases only read the inspector's result for their own case id, so ``wasmhub inspect`` and the suite
can never disagree. The inspection is cached per (module sha256, host profile) in the library.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_wasmhub.abi import DEFAULT_HOST, HOST_PROFILES
from pytest_wasmhub.abi.catalogue import FAIL, NOT_APPLICABLE
from pytest_wasmhub.abi.inspector import Inspection, inspect_module
from pytest_wasmhub.cases import not_applicable
from pytest_wasmhub.module import WasmModule


def host_profile_name(config: pytest.Config) -> str:
    """The host the static cases judge for: ``--wasm-host-profile`` once it exists, else ``envoy``."""
    for option in ("wasmhub_host_profile", "wasm_host_profile"):
        value = config.getoption(option, default=None)
        if value:
            if value not in HOST_PROFILES:
                raise pytest.UsageError(
                    f"--wasm-host-profile {value!r}: unknown host profile; known: {', '.join(HOST_PROFILES)}"
                )
            return str(value)
    return DEFAULT_HOST


@pytest.fixture
def abi_inspection(request: pytest.FixtureRequest, wasm_module: WasmModule) -> Inspection:
    """The static inspection of the module under test, for the chosen host profile."""
    return inspect_module(wasm_module, host_profile_name(request.config))


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
