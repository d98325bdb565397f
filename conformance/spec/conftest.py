"""Fixtures of the spec cases: the package the module came in, and one way to turn a check into a verdict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_wasmhub.cases import not_applicable
from pytest_wasmhub.fixtures import state
from pytest_wasmhub.module import WasmModule
from pytest_wasmhub.oci import NotApplicable, Package


@pytest.fixture
def oci_package(wasm_module: WasmModule) -> Package:
    """The OCI package ``--wasm`` named; the case is not applicable to a bare module file."""
    if wasm_module.package is None:
        not_applicable("module was not given as a package")
    return wasm_module.package["contents"]


@pytest.fixture
def spec_verdict() -> Callable[..., None]:
    """``spec_verdict(check, *args)``: pass, fail with the check's problems, or end as not applicable."""

    def judge(check: Callable[..., list[str]], *args: Any) -> None:
        __tracebackhide__ = True
        try:
            problems = check(*args)
        except NotApplicable as exc:
            not_applicable(str(exc))
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    return judge


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    module = config.stash.get(state.MODULE, None)
    facts = getattr(module, "package", None)
    if not facts:
        return
    terminalreporter.section("wasmhub package")
    terminalreporter.write_line(f"{facts['reference']}: {facts['variant']} variant ({facts['kind']})")
    terminalreporter.write_line(f"manifest digest {facts['manifest_digest']} (Istio / Envoy Gateway sha256)")
    terminalreporter.write_line(
        f"module sha256   {facts['module_sha256']} (Envoy RemoteDataSource.sha256 (https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/base.proto))"
    )
