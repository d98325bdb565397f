"""Fixtures for the benchmark's tests: a real origin Envoy to aim h2load at."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_wasmhub.bench.measure import ORIGIN_TEMPLATE
from pytest_wasmhub.envoy import EnvoyHandle, EnvoySpec, ProcessRunner, resolve_envoy_binary


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnvoyHandle]:
    """The benchmark's origin: an Envoy answering every request itself (envoy-configs/bench-origin.yaml)."""
    runner = ProcessRunner(resolve_envoy_binary(None))
    envoy = runner.start(EnvoySpec(plugins=(), template=ORIGIN_TEMPLATE), tmp_path_factory.mktemp("origin"))
    try:
        yield envoy
    finally:
        envoy.stop()
