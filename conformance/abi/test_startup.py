"""Static cases on how the module starts up: the module is inspected, not run."""

from __future__ import annotations

from pytest_wasmhub.abi.catalogue import static_case
from pytest_wasmhub.cases import case


@case("ABI-START-001", **static_case("ABI-START-001").case_kwargs())
def test_start_up_exports_have_the_called_types(abi_verdict):
    abi_verdict("ABI-START-001")


@case("ABI-START-002", **static_case("ABI-START-002").case_kwargs())
def test_start_up_exports_run_the_same_on_every_host(abi_verdict):
    abi_verdict("ABI-START-002")


@case("ABI-START-003", **static_case("ABI-START-003").case_kwargs())
def test_has_no_wasm_start_function(abi_verdict):
    abi_verdict("ABI-START-003")
