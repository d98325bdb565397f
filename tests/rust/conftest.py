"""Fixtures for the Rust SDK tests: modules built from source with cargo (see rust_build.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import rust_modules


@pytest.fixture(scope="session")
def rust_toolchain() -> str:
    """The toolchain's ``rustc -vV``; without one the test skips, or under CI (``CI=true``) fails."""
    return rust_modules.require_rust_toolchain()


@pytest.fixture(scope="session")
def rust_example(rust_toolchain: str) -> Callable[[str], Path]:
    """``rust_example("greeting_filter")`` -> the built .wasm of examples/rust/greeting_filter."""
    return rust_modules.example


@pytest.fixture(scope="session")
def rust_test_module(rust_toolchain: str) -> Callable[[str], Path]:
    """``rust_test_module("panic_on_header")`` -> the built .wasm of tests/rust/modules/panic_on_header."""
    return rust_modules.build
