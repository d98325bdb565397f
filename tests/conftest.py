"""Shared helpers for the project's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from wasmhub_test_support import EXAMPLE_MODULE

pytest_plugins = ["pytester"]


@pytest.fixture
def example_module() -> Path:
    return EXAMPLE_MODULE


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No WASMHUB_* variable from the caller's environment leaks into a pytester run."""
    for name in list(os.environ):
        if name.startswith("WASMHUB_"):
            monkeypatch.delenv(name)
