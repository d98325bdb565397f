"""Fixtures for the in-process host's own tests: the small modules in ``modules/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

MODULES = Path(__file__).resolve().parent / "modules"


@pytest.fixture
def host_module() -> Callable[[str], Path]:
    """``host_module("behaviours")`` -> the path of ``modules/behaviours.wat``."""

    def find(name: str) -> Path:
        path = MODULES / f"{name}.wat"
        assert path.exists(), f"no test module {path}"
        return path

    return find


@pytest.fixture
def behaviours(host_module: Callable[[str], Path]) -> Path:
    return host_module("behaviours")
