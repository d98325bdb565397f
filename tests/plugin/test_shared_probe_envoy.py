"""Shared probe Envoys: one Envoy hosts several listeners, each with its probe in a VM of its own, and
each test gets one listener. One case's damage (a trap that fails its VM for good, a request its module
holds) never reaches another case's listener, and a listener is never handed out twice."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest

from pytest_wasmhub import shared_probes
from pytest_wasmhub.envoy import EnvoySpec, ProcessRunner, resolve_envoy_binary
from pytest_wasmhub.envoy.bootstrap import PROBES_TEMPLATE, PluginSpec, render_bootstrap
from pytest_wasmhub.module import load_module
from pytest_wasmhub.probes import probe_path
from pytest_wasmhub.shared_probes import plugin_specs, probe_plugin, shared_listener
from pytest_wasmhub.tcp_upstream import TcpUpstream
from pytest_wasmhub.upstream import Upstream

pytestmark = pytest.mark.usefixtures("clean_env")

TESTS = """
import os, pathlib
import pytest
from pytest_wasmhub.shared_probes import probe_plugin, shared_listener

TRAPS = "trap_on_crash_path"
A = shared_listener("t-a", probe_plugin(TRAPS, configuration="probe"))
B = shared_listener("t-b", probe_plugin(TRAPS, configuration="probe", failure_policy="FAIL_CLOSED"))
HOLDS = shared_listener("t-hold", probe_plugin("pause_request_headers"))
C = shared_listener("t-c", probe_plugin(TRAPS, configuration="probe"))

def _note(envoy, name):
    pathlib.Path(os.environ["PIDS_FILE"]).open("a").write(f"{name} {envoy.pid}\\n")

def _fresh(envoy):
    response = envoy.http.get("/before")
    assert response.status_code == 200, "another listener's trap reached this one"
    assert response.headers["x-probe"] == "probe" and response.headers["x-count"] == "1", (
        "this listener's VM is not fresh"
    )

def test_1_poisons_its_listener(wasmhub_probe_envoy):
    envoy = wasmhub_probe_envoy(A)
    _note(envoy, "poisoned")
    _fresh(envoy)
    assert envoy.http.get("/crash").status_code == 503
    assert envoy.http.get("/later").status_code == 503  # the VM failed for good

def test_2_another_listener_is_unaffected(wasmhub_probe_envoy):
    envoy = wasmhub_probe_envoy(B)
    _note(envoy, "other")
    _fresh(envoy)

def test_3_a_held_request_taints_the_envoy(wasmhub_probe_envoy, wasmhub_probe_traffic):
    envoy = wasmhub_probe_envoy(HOLDS)
    _note(envoy, "held")
    outcome = wasmhub_probe_traffic(envoy).outcome_of("GET", "/held")
    assert outcome.kind.name == "HANG", outcome
    assert envoy.tainted

def test_4_gets_a_new_envoy(wasmhub_probe_envoy):
    envoy = wasmhub_probe_envoy(C)
    _note(envoy, "after-hold")
    _fresh(envoy)

def test_5_a_spent_listener_is_never_handed_out_again(wasmhub_probe_envoy):
    envoy = wasmhub_probe_envoy(A)  # spent on the first Envoy (gone), unspent on the second
    _note(envoy, "again")
    _fresh(envoy)
"""


@pytest.mark.parametrize("reuse", ["session", "never"])
def test_one_case_damage_never_reaches_another(pytester, tmp_path, monkeypatch, reuse):
    pids_file = tmp_path / "pids"
    monkeypatch.setenv("PIDS_FILE", str(pids_file))
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_subprocess(
        "--wasm-no-conformance",
        "--wasm-request-timeout",
        "1",
        "--envoy-reuse",
        reuse,
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=5)
    pids = dict(line.split() for line in pids_file.read_text().splitlines())
    if reuse == "session":
        # the first three listeners share one Envoy; the held request retired it; the next Envoy
        # serves the rest, the listener spent on the first one included
        assert pids["poisoned"] == pids["other"] == pids["held"]
        assert pids["after-hold"] == pids["again"] != pids["held"]
    else:
        assert len(set(pids.values())) == 5, "without reuse every test starts its own Envoy"


def _trap_reaches_other_listener(vm_ids: tuple[str, str]) -> bool:
    """Trap the probe on one listener; does the other listener's plugin still serve?"""
    with Upstream() as upstream, tempfile.TemporaryDirectory() as work:
        module = load_module(probe_path("trap_on_crash_path"), Path(work)).path
        plugins = tuple(
            PluginSpec(module, configuration="probe", listener=name, vm_id=vm_id, name=name)
            for name, vm_id in zip(("first", "second"), vm_ids, strict=True)
        )
        spec = EnvoySpec(plugins=plugins, upstream=upstream.address)
        with ProcessRunner(resolve_envoy_binary()).start(spec, Path(work)) as envoy:
            assert httpx.get(envoy.listeners["second"] + "/before").status_code == 200
            assert httpx.get(envoy.listeners["first"] + "/crash").status_code == 503
            return httpx.get(envoy.listeners["second"] + "/after").status_code != 200


def test_envoy_shares_a_vm_across_listeners_unless_vm_ids_differ():
    # measured: plugins with the same vm_id and code share one VM even on other listeners, so a trap
    # in one fails the other; shared probe Envoys give every listener a vm_id of its own
    assert _trap_reaches_other_listener(("", ""))
    assert not _trap_reaches_other_listener(("first", "second"))


@pytest.fixture
def own_registry(monkeypatch):
    """Declarations made here stay here (the suite's own are in the process-wide registry)."""
    monkeypatch.setattr(shared_probes, "_LISTENERS", {})


def test_every_listener_gets_vms_of_its_own(own_registry):
    first = shared_listener("unit-one", probe_plugin("trap_on_crash_path", failure_policy="FAIL_OPEN"))
    shared_listener(
        "unit-two",
        probe_plugin("trap_on_crash_path", name="a", vm_id="a"),
        probe_plugin("trap_on_crash_path", name="b", vm_id="b"),
    )
    shared_listener(first, probe_plugin("trap_on_crash_path", failure_policy="FAIL_OPEN"))  # harmless
    with pytest.raises(ValueError, match="declared twice"):
        shared_listener(first, probe_plugin("trap_on_crash_path"))

    def make(probe, **settings):
        return PluginSpec(probe_path(probe), **settings)

    specs = list(plugin_specs(make))
    assert [(s.listener, s.vm_id, s.name) for s in specs] == [
        ("unit-one", "unit-one", "unit-one"),
        ("unit-two", "unit-two-a", "unit-two-a"),
        ("unit-two", "unit-two-b", "unit-two-b"),
    ]
    assert specs[0].failure_policy == "FAIL_OPEN"
    rendered = render_bootstrap(EnvoySpec(plugins=tuple(specs)))
    assert rendered.count('- name: "unit-two"') == 1 and rendered.count('- name: "unit-one"') == 1


def test_http_and_network_listeners_share_one_probe_envoy(own_registry, tmp_path):
    shared_listener("unit-http", probe_plugin("trap_on_crash_path", configuration="probe"))
    shared_listener("unit-tcp", probe_plugin("network_uppercase"), kind="network")

    def make(probe, **settings):
        return PluginSpec(load_module(probe_path(probe), tmp_path).path, **settings)

    with Upstream() as upstream, TcpUpstream() as tcp:
        spec = EnvoySpec(
            plugins=plugin_specs(make),
            template=PROBES_TEMPLATE,
            upstream=upstream.address,
            tcp_upstream=tcp.address,
        )
        with ProcessRunner(resolve_envoy_binary()).start(spec, tmp_path) as envoy:
            assert httpx.get(envoy.listeners["unit-http"] + "/").headers.get("x-probe") == "probe"
            envoy.use_listener("unit-tcp")
            with envoy.tcp() as sock:
                sock.sendall(b"shout\n")
                assert sock.recv(64) == b"SHOUT\n"
            plain = envoy.passthrough_listener("network")
            assert plain == "passthrough-network" and envoy.passthrough_listener() == "passthrough"
            with envoy.tcp(plain) as sock:
                sock.sendall(b"as is\n")
                assert sock.recv(64) == b"as is\n"
            assert httpx.get(envoy.passthrough_url + "/").status_code == 200
