"""ContainerRunner: the same Envoy as the process runner, in a hardened container; crash facts Docker
adds (still running after a trap, OOMKilled)."""

from __future__ import annotations

from pathlib import Path

import docker.errors
import httpx
import pytest

from pytest_wasmhub.envoy import EnvoySpec, EnvoyStartError
from pytest_wasmhub.envoy.container import OOM_KILLED
from pytest_wasmhub.module import load_module

MODULES = Path(__file__).with_name("modules")


@pytest.fixture
def example(example_module, tmp_path):
    return load_module(example_module, tmp_path)


def test_traffic_through_the_module_then_stop_removes_the_container(
    make_runner, example, upstream, tmp_path, docker_client
):
    envoy = make_runner().start(EnvoySpec.for_module(example.path, upstream=upstream.address), tmp_path)
    container_id = envoy.facts().id
    response = envoy.http.post("/orders", content=b"seven")
    assert (response.status_code, response.headers["x-wasmhub-example"]) == (200, "hello")
    assert upstream.last_request.header("x-wasmhub-seen") == "1"
    # the upstream listens on loopback TCP: the container (no network) reaches it through a relay
    assert envoy.client(envoy.passthrough_url).get("/plain").headers.get("x-wasmhub-example") is None
    assert envoy.stats()["wasm.envoy.wasm.runtime.v8.created"] >= 1
    assert "add_header example configured" in envoy.logs()  # the container's own log stream
    assert envoy.stop() == 0
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(container_id)
    assert "add_header example configured" in envoy.logs()  # kept from before the removal
    assert "exited, exit code 0" in envoy.log_tail()


def test_the_sandbox_is_visible_in_docker_inspect(make_runner, example, upstream, tmp_path, docker_client):
    envoy = make_runner(memory="300m", pids=128).start(
        EnvoySpec.for_module(example.path, upstream=upstream.address), tmp_path
    )
    host = docker_client.containers.get(envoy.facts().id).attrs["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Memory"] == 300 * 1024**2
    assert host["PidsLimit"] == 128
    assert host["Binds"] is None  # the module was copied in, not bind-mounted
    assert host["NetworkMode"] == "none"
    # the only host paths it sees: its own socket directory and, read-only, the upstreams' sockets
    shared = {m["Target"]: m.get("ReadOnly", False) for m in host["Mounts"] if m["Type"] == "bind"}
    assert shared == {"/sockets/envoy": False, "/sockets/upstream": True}
    assert host["RestartPolicy"]["Name"] == "no"
    assert docker_client.containers.get(envoy.facts().id).attrs["Config"]["User"] == "65534:65534"
    assert "memory 300m, pids 128, read-only root filesystem" in envoy.log_tail()


def test_after_a_trap_the_container_still_runs_and_was_not_restarted(make_runner, upstream, tmp_path):
    module = load_module(MODULES / "trap_on_request.wat", tmp_path)
    envoy = make_runner().start(EnvoySpec.for_module(module.path, upstream=upstream.address), tmp_path)
    before = envoy.facts()
    response = envoy.http.get("/trap")
    assert response.status_code == 503
    assert any("unreachable" in error for error in envoy.wasm_errors())
    after = envoy.facts()
    assert after.running and after.restart_count == 0
    assert after.started_at == before.started_at  # the same Envoy, not a new start
    assert envoy.ready()
    assert envoy.client(envoy.passthrough_url).get("/other").status_code == 200


def test_a_module_exhausting_memory_is_stopped_by_the_limit_and_reported(make_runner, upstream, tmp_path):
    module = load_module(MODULES / "exhaust_memory.wat", tmp_path)
    envoy = make_runner(memory="256m").start(
        EnvoySpec.for_module(module.path, upstream=upstream.address), tmp_path
    )
    with pytest.raises(httpx.HTTPError):
        envoy.http.get("/grow")  # the module grows toward Envoy's 1 GiB VM cap, past the 256m limit
    assert envoy.wait_exit(10) == -9
    facts = envoy.facts()
    assert not facts.running and facts.oom_killed
    assert envoy.exit_description() == OOM_KILLED
    assert OOM_KILLED in envoy.log_tail() and "memory 256m" in envoy.log_tail()


def test_a_refused_module_raises_with_envoys_reason_and_leaves_no_container(
    make_runner, upstream, tmp_path, docker_client
):
    refusing = tmp_path / "refuse.wat"
    refusing.write_text(
        (MODULES / "trap_on_request.wat")
        .read_text()
        .replace(
            '(param $root i32) (param $size i32) (result i32) (i32.const 1))\n  (func (export "proxy_on_configure")',
            '(param $root i32) (param $size i32) (result i32) (i32.const 0))\n  (func (export "proxy_on_configure")',
        )
    )
    module = load_module(refusing, tmp_path)
    runner = make_runner()
    with pytest.raises(EnvoyStartError) as raised:
        runner.start(EnvoySpec.for_module(module.path, upstream=upstream.address), tmp_path)
    assert raised.value.exit_code == 1
    assert "start" in raised.value.reason.lower()
    assert raised.value.bootstrap_path.read_text().count("/wasmhub/modules/0-") == 1
    from pytest_wasmhub.envoy.cleanup import SESSION, managed_containers

    assert managed_containers(docker_client, {SESSION: runner.session}) == []
