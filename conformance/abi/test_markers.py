"""Static cases on the ABI version marker: the module is inspected, not run."""

from __future__ import annotations

from pytest_wasmhub.abi.catalogue import static_case
from pytest_wasmhub.cases import case


@case("ABI-MARKER-001", **static_case("ABI-MARKER-001").case_kwargs())
def test_declares_an_abi_version_the_host_knows(abi_verdict):
    abi_verdict("ABI-MARKER-001")


@case("ABI-MARKER-002", **static_case("ABI-MARKER-002").case_kwargs())
def test_declares_exactly_one_abi_version(abi_verdict):
    abi_verdict("ABI-MARKER-002")


@case("ABI-MARKER-003", **static_case("ABI-MARKER-003").case_kwargs())
def test_marker_is_typed_as_the_spec_says(abi_verdict):
    abi_verdict("ABI-MARKER-003")
