"""Static cases on the module's linear memory and its allocator: the module is inspected, not run."""

from __future__ import annotations

from pytest_wasmhub.abi.catalogue import static_case
from pytest_wasmhub.cases import case


@case("ABI-MEMORY-001", **static_case("ABI-MEMORY-001").case_kwargs())
def test_host_can_reach_the_memory(abi_verdict):
    abi_verdict("ABI-MEMORY-001")


@case("ABI-MEMORY-002", **static_case("ABI-MEMORY-002").case_kwargs())
def test_initial_memory_fits_the_host_limit(abi_verdict):
    abi_verdict("ABI-MEMORY-002")


@case("ABI-MEMORY-003", **static_case("ABI-MEMORY-003").case_kwargs())
def test_memory_is_defined_and_exported_as_memory(abi_verdict):
    abi_verdict("ABI-MEMORY-003")


@case("ABI-ALLOC-001", **static_case("ABI-ALLOC-001").case_kwargs())
def test_exports_the_allocator_the_host_calls(abi_verdict):
    abi_verdict("ABI-ALLOC-001")


@case("ABI-ALLOC-002", **static_case("ABI-ALLOC-002").case_kwargs())
def test_exports_the_spec_allocator(abi_verdict):
    abi_verdict("ABI-ALLOC-002")
