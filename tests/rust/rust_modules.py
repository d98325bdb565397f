"""The Rust SDK modules the project's tests use, built from source on demand.

    from rust_modules import build, example
    panic_module = build("panic_on_header")   # tests/rust/modules/panic_on_header -> .wasm path
    filter_module = example("greeting_filter")  # examples/rust/greeting_filter -> .wasm path

Both raise ``RustToolchainMissing`` without cargo and its wasm32-wasip1 target;
``require_rust_toolchain()`` (the ``rust_toolchain`` fixture) turns that into a skip, or a failure
under CI: CI must build the Rust modules, not skip them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rust_build import RustBuildFailed, RustToolchainMissing, build_workspace, toolchain

ROOT = Path(__file__).resolve().parent.parent.parent
TEST_MODULES = Path(__file__).resolve().parent / "modules"
EXAMPLES = ROOT / "examples" / "rust"

__all__ = [
    "EXAMPLES",
    "TEST_MODULES",
    "RustBuildFailed",
    "RustToolchainMissing",
    "build",
    "example",
    "require_rust_toolchain",
]


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_rust_toolchain() -> str:
    """The toolchain's ``rustc -vV``; without one a skip, or under CI (``CI=true``) a failure."""
    __tracebackhide__ = True
    try:
        return toolchain()
    except RustToolchainMissing as missing:
        if running_in_ci():
            pytest.fail(f"CI must build the Rust modules: {missing}", pytrace=False)
        pytest.skip(str(missing))


def _module(workspace: Path, name: str) -> Path:
    if not (workspace / name / "Cargo.toml").is_file():
        known = sorted(p.parent.name for p in workspace.glob("*/Cargo.toml"))
        raise ValueError(f"no crate {name!r} in {workspace}; there are {', '.join(known)}")
    path = build_workspace(workspace) / f"{name}.wasm"
    if not path.is_file():
        raise RustBuildFailed(f"cargo did not build {path.name} in {workspace}")
    return path


def build(name: str) -> Path:
    """The built ``.wasm`` of ``tests/rust/modules/NAME`` (``panic_on_header``, ``log_error_body``)."""
    return _module(TEST_MODULES, name)


def example(name: str) -> Path:
    """The built ``.wasm`` of ``examples/rust/NAME`` (``greeting_filter``, ``byte_counter``, ``tick_service``)."""
    return _module(EXAMPLES, name)
