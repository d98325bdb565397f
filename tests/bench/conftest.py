"""Fixtures for the benchmark's tests: a real origin Envoy to aim h2load at, and process helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_wasmhub.bench.measure import ORIGIN_TEMPLATE
from pytest_wasmhub.envoy import EnvoyHandle, EnvoySpec, ProcessRunner, resolve_envoy_binary

SLOW_MODULE = Path(__file__).resolve().parents[2] / "examples" / "slow_headers.wat"


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnvoyHandle]:
    """The benchmark's origin: an Envoy answering every request itself (envoy-configs/bench-origin.yaml)."""
    runner = ProcessRunner(resolve_envoy_binary(None))
    envoy = runner.start(EnvoySpec(plugins=(), template=ORIGIN_TEMPLATE), tmp_path_factory.mktemp("origin"))
    try:
        yield envoy
    finally:
        envoy.stop()


@pytest.fixture
def slow_module() -> Path:
    return SLOW_MODULE


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def command_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return ""
