"""Fixtures for the report, gating and version-matrix tests."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from report_helpers import MATRIX_DOWNLOADS

from pytest_wasmhub.envoy import envoy_version, resolve_envoy_binary
from pytest_wasmhub.envoy.versions import DEFAULT_CACHE, install_envoy


@pytest.fixture(scope="session")
def envoy_cache() -> Path:
    """The default Envoy cache, holding ``MATRIX_DOWNLOADS`` (downloaded the first time only)."""
    cache = DEFAULT_CACHE.expanduser()
    for version in MATRIX_DOWNLOADS:
        started = time.monotonic()
        already = (cache / version / "envoy").is_file()
        install_envoy(version, cache)
        if not already:
            print(f"downloaded Envoy {version} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return cache


@pytest.fixture(scope="session")
def installed_envoy_version() -> str:
    return envoy_version(resolve_envoy_binary())
