"""No container outlives its session: removal at the end, on Ctrl-C or SIGTERM, and, after a
``kill -9``, by the next session."""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import subprocess
import sys
import time

import docker.errors
import pytest

from pytest_wasmhub.envoy.cleanup import OWNER_PID, Owner, managed_containers, remove_leftovers

HOLDING_TEST = """
import time

def test_hold(envoy_factory):
    envoy_factory({module!r})
    time.sleep(120)
"""


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def owned_by(client, pid: int) -> list:
    return managed_containers(client, {OWNER_PID: str(pid)})


@pytest.fixture
def holding_session(pytester, envoy_image, example_module, clean_env):
    """Start a pytest session that holds an Envoy container until it is stopped from outside."""
    pytester.makepyfile(test_hold=HOLDING_TEST.format(module=str(example_module)))
    processes = []

    def start() -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--envoy-image", envoy_image]
        process = subprocess.Popen(
            command, cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_a_dead_owner_go_and_the_others_stay(docker_client, envoy_image):
    alive = Owner.current(session="cleanup-test-alive")
    dead = dataclasses.replace(alive, session="cleanup-test-dead", pid=dead_pid())
    foreign = dataclasses.replace(dead, session="cleanup-test-foreign", host="another-machine")
    created = {
        name: docker_client.containers.create(envoy_image, ["--version"], labels=owner.labels())
        for name, owner in (("alive", alive), ("dead", dead), ("foreign", foreign))
    }
    try:
        remove_leftovers(docker_client)  # (a concurrent session's start may remove the dead one first)
        remaining = {c.id for c in managed_containers(docker_client)}
        assert created["dead"].id not in remaining
        assert created["alive"].id in remaining  # its owner (this process) runs
        assert created["foreign"].id in remaining  # another host's: its owner cannot be checked
    finally:
        for container in created.values():
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_session_removes_its_containers(docker_client, holding_session, stop_signal):
    session = holding_session()
    wait_for(lambda: owned_by(docker_client, session.pid), 60, "the session's Envoy container")
    session.send_signal(stop_signal)
    output = session.communicate(timeout=180)[0].decode()  # generous: a loaded machine stops slowly
    assert session.returncode == pytest.ExitCode.INTERRUPTED, output
    assert owned_by(docker_client, session.pid) == []


def test_after_kill_9_the_next_session_removes_the_leftovers(
    docker_client, holding_session, pytester, envoy_image
):
    session = holding_session()
    wait_for(lambda: owned_by(docker_client, session.pid), 60, "the session's Envoy container")
    session.kill()
    session.wait()
    assert owned_by(docker_client, session.pid), "kill -9 left nothing to clean: the test proves nothing"
    pytester.makepyfile(test_hold="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--envoy-image", envoy_image)
    assert result.ret == 0, result.outlines
    assert owned_by(docker_client, session.pid) == []
