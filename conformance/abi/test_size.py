"""Static case on the module's size: the module is inspected, not run."""

from __future__ import annotations

from pytest_wasmhub.abi.catalogue import static_case
from pytest_wasmhub.cases import case


@case("ABI-SIZE-001", **static_case("ABI-SIZE-001").case_kwargs())
def test_fits_the_distribution_size_limit(abi_verdict):
    abi_verdict("ABI-SIZE-001")
