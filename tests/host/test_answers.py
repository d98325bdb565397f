"""Envoy's answers table (``pytest_wasmhub/host/data/envoy-answers.json``): the Envoy in use still answers
as the table says, the in-process host answers the same, and the status sweep injects nothing else."""

from __future__ import annotations

import pytest

from pytest_wasmhub.abi import ABI_VERSIONS
from pytest_wasmhub.envoy import envoy_version, resolve_envoy_binary
from pytest_wasmhub.envoy.versions import cache_dir_path, cached_versions, version_key
from pytest_wasmhub.host.answers.differences import HOST_DIFFERENCES
from pytest_wasmhub.host.answers.measure import NOT_RUN, measure_envoy, measure_host
from pytest_wasmhub.host.answers.table import envoy_answers
from pytest_wasmhub.host.checks import conformance_host, environment_statuses, first_calls, status_sweep


def _differences(expected: dict, measured: dict) -> list[str]:
    return [
        f"{function} ({klass}{', ' + variant if variant else ''}) in {phase}: "
        f"table {status}, measured {measured.get((function, klass, variant, phase), NOT_RUN)}"
        for (function, klass, variant, phase), status in sorted(expected.items())
        if measured.get((function, klass, variant, phase)) != status
    ]


def _cached_releases() -> list[str]:
    """The table's other releases whose binary the Envoy cache holds (each is measured too)."""
    return [v for v in cached_versions() if v in envoy_answers().envoy_versions]


@pytest.mark.parametrize("abi_version", ABI_VERSIONS)
@pytest.mark.parametrize("release", [None, *_cached_releases()], ids=lambda r: r or "in-use")
def test_the_envoy_in_use_answers_as_the_table_says(tmp_path, abi_version, release):
    table = envoy_answers()
    binary = resolve_envoy_binary(None) if release is None else cache_dir_path(None) / release / "envoy"
    release = envoy_version(binary)
    newest = max(table.envoy_versions, key=version_key)
    expected = table.expected(abi_version, release if release in table.envoy_versions else newest)
    assert len(expected) > 500
    measured = measure_envoy(abi_version, tmp_path, binary)
    differences = _differences(expected, measured)
    assert not differences, (
        f"Envoy {release} answers otherwise than the table "
        "(regenerate it: python -m pytest_wasmhub.host.answers.table ENVOY...):\n" + "\n".join(differences)
    )


@pytest.mark.parametrize("abi_version", ABI_VERSIONS)
def test_the_host_answers_as_envoy(tmp_path, abi_version):
    table = envoy_answers()
    newest = max(table.envoy_versions, key=version_key)
    expected = {
        key: status
        for key, status in table.expected(abi_version, newest).items()
        if (key[0], key[1]) not in HOST_DIFFERENCES
    }
    differences = _differences(expected, measure_host(abi_version, tmp_path))
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize(
    ("module", "function", "never"),
    [
        # ABI 0.1.0: a missing header is OK with an empty value, never NOT_FOUND
        ("strict_header_0_1_0", "proxy_get_header_map_value", {"NOT_FOUND"}),
        # a string leaf: OK or NOT_FOUND, never SERIALIZATION_FAILURE or INTERNAL_FAILURE
        ("strict_status", "proxy_get_property", {"SERIALIZATION_FAILURE", "INTERNAL_FAILURE"}),
        # a live context: never BAD_ARGUMENT
        ("strict_status", "proxy_set_effective_context", {"BAD_ARGUMENT"}),
    ],
)
def test_the_sweep_injects_only_what_envoy_answers_there(host_module, module, function, never):
    path = host_module(module)
    host = conformance_host(path)
    functions = first_calls(host)
    abi_version = host.abi_version
    host.close()
    assert function in functions
    outcomes = status_sweep(
        lambda: conformance_host(path), {function: functions[function]}, environment_statuses, abi_version,
        as_envoy=True,
    )  # fmt: skip
    injected = {_status(o.status).name for o in outcomes}
    assert not injected & never, [o.describe() for o in outcomes]
    assert all(o.failure is None for o in outcomes), [o.describe() for o in outcomes]


def test_the_sweep_still_injects_what_envoy_answers(host_module):
    """A module that crashes on a stale CAS (which Envoy answers under a concurrent update) still fails."""
    path = host_module("crash_on_status")
    host = conformance_host(path)
    functions = first_calls(host)
    host.close()
    outcomes = status_sweep(
        lambda: conformance_host(path), functions, environment_statuses, "0.2.1", as_envoy=True
    )
    crashed = {(o.function, _status(o.status).name) for o in outcomes if o.failure is not None}
    assert crashed == {("proxy_set_shared_data", "CAS_MISMATCH")}, [o.describe() for o in outcomes]


def _status(value: int):
    from pytest_wasmhub.host.codes import Status

    return Status(value)
