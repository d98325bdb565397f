"""Static cases on what the module imports: the module is inspected, not run."""

from __future__ import annotations

from pytest_wasmhub.abi.catalogue import static_case
from pytest_wasmhub.cases import case


@case("ABI-IMPORT-001", **static_case("ABI-IMPORT-001").case_kwargs())
def test_imports_only_what_the_host_provides(abi_verdict):
    abi_verdict("ABI-IMPORT-001")


@case("ABI-IMPORT-002", **static_case("ABI-IMPORT-002").case_kwargs())
def test_imports_only_what_the_spec_defines(abi_verdict):
    abi_verdict("ABI-IMPORT-002")


@case("ABI-WASI-001", **static_case("ABI-WASI-001").case_kwargs())
def test_wasi_imports_are_in_the_host_subset(abi_verdict):
    abi_verdict("ABI-WASI-001")
