"""Shared helpers for the project's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_MODULE = ROOT / "examples" / "add_header.wat"

pytest_plugins = ["pytester"]


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (gone, or a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture
def example_module() -> Path:
    return EXAMPLE_MODULE


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No WASMHUB_* variable from the caller's environment leaks into a pytester run."""
    for name in list(os.environ):
        if name.startswith("WASMHUB_"):
            monkeypatch.delenv(name)
