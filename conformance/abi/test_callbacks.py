"""Static cases on the callbacks the module exports: the module is inspected, not run."""

from __future__ import annotations

from pytest_wasmhub.abi.catalogue import static_case
from pytest_wasmhub.cases import case


@case("ABI-CALLBACK-001", **static_case("ABI-CALLBACK-001").case_kwargs())
def test_callbacks_have_their_version_types(abi_verdict):
    abi_verdict("ABI-CALLBACK-001")


@case("ABI-CALLBACK-002", **static_case("ABI-CALLBACK-002").case_kwargs())
def test_callback_names_are_callbacks_of_the_version(abi_verdict):
    abi_verdict("ABI-CALLBACK-002")


@case("ABI-CALLBACK-003", **static_case("ABI-CALLBACK-003").case_kwargs())
def test_exports_the_root_callbacks_every_host_needs(abi_verdict):
    abi_verdict("ABI-CALLBACK-003")


@case("ABI-ROLE-001", **static_case("ABI-ROLE-001").case_kwargs())
def test_exports_callbacks_for_at_least_one_use(abi_verdict):
    abi_verdict("ABI-ROLE-001")
