"""How a module runs is decided by trying each use in the in-process host, as Envoy would begin it;
exports alone would mislead (SDKs export every callback)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_wasmhub.kinds import AUTO, decide, parse_kinds
from pytest_wasmhub.module import load_module
from pytest_wasmhub.probes import probes_dir


@pytest.mark.parametrize(
    ("probe", "kinds", "left_out"),
    [
        ("trap_on_crash_path", ("http",), {"network": "it exports no network callback"}),
        ("root_only", ("service",), {"http": "it exports no HTTP callback"}),
        ("network_uppercase", ("network",), {"http": "it exports no HTTP callback"}),
        # exports HTTP callbacks, but creating an HTTP context traps
        ("service_traps_http_context", ("service",), {"http": "creating an HTTP context traps: *"}),
        # an HTTP filter that traps on every request is still an HTTP filter: the HTTP cases judge it
        ("trap_on_request", ("http",), {}),
    ],
)
def test_the_use_is_found_by_running_the_module(tmp_path, probe, kinds, left_out):
    import fnmatch

    decision = decide(load_module(probes_dir() / f"{probe}.wat", tmp_path), (AUTO,), {})
    assert decision.kinds == kinds, decision.describe()
    for kind, pattern in left_out.items():
        assert fnmatch.fnmatch(decision.left_out[kind], pattern), decision.describe()


def test_named_kinds_are_run_whatever_auto_would_say(tmp_path):
    module = load_module(probes_dir() / "root_only.wat", tmp_path)
    assert decide(module, ("http",), {}).kinds == ("http",)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "names no kind"),
        ("tcp", "is not valid"),
        ("auto,http", "is not valid"),
        ("http,,x", "is not valid"),
    ],
)
def test_a_bad_kind_names_the_valid_values(value, problem):
    with pytest.raises(ValueError, match=problem) as raised:
        parse_kinds(value)
    assert "auto, or a" in str(raised.value) and "http, network, service" in str(raised.value)


def test_kinds_keep_their_order_and_drop_repeats():
    assert parse_kinds("service, http,http") == ("http", "service")


def test_inspect_says_how_the_module_runs():
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_wasmhub.cli",
            "inspect",
            str(probes_dir() / "service_traps_http_context.wat"),
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert (
        "runs as     service (decided by trying each use in the in-process host); not http: creating an HTTP context traps"
        in shown
    )
