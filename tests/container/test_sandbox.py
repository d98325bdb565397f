"""The sandbox holds against a module that tries to get out: no network (every container the suite
starts has network mode ``none``), the hardening flags in force, and an escape probe
(modules/escape_to_loopback.wat) that reaches a loopback service from a local Envoy reaches nothing
from a container."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from pytest_wasmhub.envoy import EnvoySpec
from pytest_wasmhub.envoy.cleanup import MANAGED, OWNER_PID
from pytest_wasmhub.module import load_module
from pytest_wasmhub.selfcheck import outcomes_from_junit
from pytest_wasmhub.upstream import Upstream

MODULES = Path(__file__).with_name("modules")
ESCAPE = MODULES / "escape_to_loopback.wat"
# Envoy's Google gRPC client connects within milliseconds (measured on the process backend); give a
# contained one far longer to show that it reaches nothing
WATCH_SECONDS = 2.0


class Listening:
    """A service on this host the suite never configured: it counts every connection it accepts."""

    def __init__(self, server: socket.socket, target: str) -> None:
        self.server = server
        self.target = target  # how the escape probe names it (its plugin configuration)
        self.accepted: list[bytes] = []
        self.server.settimeout(0.1)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            with client:
                client.settimeout(0.5)
                try:
                    self.accepted.append(client.recv(64))
                except OSError:
                    self.accepted.append(b"")

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(2)
        self.server.close()


@pytest.fixture(params=["tcp", "unix"])
def host_service(request) -> Iterator[Listening]:
    """A TCP service on 127.0.0.1, or a Unix socket in a host directory the containers do not share."""
    if request.param == "tcp":
        server = socket.create_server(("127.0.0.1", 0))
        service = Listening(server, f"127.0.0.1:{server.getsockname()[1]}")
        yield service
        service.close()
        return
    with tempfile.TemporaryDirectory(prefix="wasmhub-escape-", dir="/tmp") as directory:
        path = str(Path(directory) / "s.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen()
        Path(directory).chmod(0o755)
        Path(path).chmod(0o666)  # nothing but the namespace keeps a contained Envoy (uid 65534) out
        service = Listening(server, "unix:" + path)
        yield service
        service.close()


def escape(envoy, upstream: Upstream, service: Listening) -> tuple[str | None, ...]:
    """Send requests through the escape probe; the statuses Envoy answered its HTTP callout, its gRPC
    callout and its WASI sock_accept."""
    for _ in range(3):
        assert envoy.http.get("/escape").status_code == 200
    time.sleep(WATCH_SECONDS)
    seen = upstream.last_request
    return tuple(seen.header(f"x-escape-{what}") for what in ("http", "grpc", "wasi"))


def test_the_escape_probe_reaches_a_host_service_from_a_local_envoy(envoy_factory, upstream, host_service):
    """The probe works: without the sandbox, its configuration alone takes Envoy to the service."""
    envoy = envoy_factory(ESCAPE, configuration=host_service.target)
    http_status, grpc_status, wasi_status = escape(envoy, upstream, host_service)
    assert http_status == "2"  # BadArgument: no cluster of that name, Envoy refuses the HTTP callout
    assert wasi_status == "58"  # ENOTSUP: Envoy has the WASI import but gives out no socket
    assert grpc_status == "0"  # the gRPC callout to a target of the module's own is accepted ...
    assert host_service.accepted, "the escape probe did not reach the service from a local Envoy"
    assert host_service.accepted[0].startswith(b"PRI * HTTP/2.0")  # ... and Envoy's gRPC client connects


def test_the_escape_probe_reaches_nothing_from_the_sandbox(make_runner, tmp_path, host_service):
    runner = make_runner()
    module = load_module(ESCAPE, tmp_path)
    with Upstream(unix_socket=runner.upstream_socket("http")) as upstream:
        envoy = runner.start(
            EnvoySpec.for_module(module.path, upstream=upstream.address, configuration=host_service.target),
            tmp_path,
        )
        statuses = escape(envoy, upstream, host_service)
        assert envoy.is_alive()
    assert statuses == ("2", "0", "58")  # Envoy answered as a local one: the attempts were made
    assert host_service.accepted == [], f"the module reached {host_service.target} from the sandbox"


SANDBOX_RUN_TEST = """
def test_requests_through_the_module(envoy, upstream):
    for _ in range(3):
        assert envoy.http.get("/escape").status_code == 200
    assert upstream.last_request.header("x-escape-grpc") == "0"
"""


class ContainerWatch:
    """Docker's record of every container a process creates, taken the moment it is created."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self.created: dict[str, dict[str, str]] = {}  # id -> labels
        self.inspected: dict[str, dict] = {}
        self._events = client.events(decode=True, filters={"type": "container", "event": "create"})
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        try:
            for event in self._events:
                labels = event.get("Actor", {}).get("Attributes", {})
                if labels.get(MANAGED) != "true":
                    continue
                self.created[event["id"]] = labels
                with contextlib.suppress(docker.errors.NotFound):
                    self.inspected[event["id"]] = self.client.api.inspect_container(event["id"])
        except Exception:  # the stream ends when closed
            return

    def of(self, pid: int) -> tuple[list[str], list[dict]]:
        ids = [i for i, labels in self.created.items() if labels.get(OWNER_PID) == str(pid)]
        return ids, [self.inspected[i] for i in ids if i in self.inspected]

    def close(self) -> None:
        self._events.close()


def test_a_container_run_has_no_network_the_flags_in_force_and_the_escape_reaching_nothing(
    pytester, envoy_image, docker_client, clean_env
):
    """During a real ``--envoy-image`` run of the suite on the escape probe: every container it starts
    has network mode none and every hardening flag, and the service the probe aims at gets nothing."""
    server = socket.create_server(("127.0.0.1", 0))
    service = Listening(server, f"127.0.0.1:{server.getsockname()[1]}")
    pytester.makepyfile(test_escape=SANDBOX_RUN_TEST)
    junit = pytester.path / "junit.xml"
    watch = ContainerWatch(docker_client)
    try:
        run = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--envoy-image", envoy_image,
             "--wasm", str(ESCAPE), "--wasm-config", service.target, "--wasm-request-timeout", "3",
             "-o", "junit_family=xunit1", f"--junitxml={junit}"],
            cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        output = run.communicate(timeout=600)[0]
        time.sleep(WATCH_SECONDS)
    finally:
        watch.close()
        service.close()
    outcomes = outcomes_from_junit(junit) if junit.exists() else {}
    assert outcomes.get("test_requests_through_the_module") == "passed", output[-3000:]
    ids, inspected = watch.of(run.pid)
    # the module's Envoy, the shared probe Envoy, the one that must refuse, and the test's own
    assert len(ids) >= 4, f"the run started {len(ids)} containers: {output[-2000:]}"
    assert len(inspected) == len(ids), "a container was gone before Docker could be asked about it"
    for attrs in inspected:
        host = attrs["HostConfig"]
        sandbox = {
            "NetworkMode": host["NetworkMode"],
            "ReadonlyRootfs": host["ReadonlyRootfs"],
            "CapDrop": host["CapDrop"],
            "SecurityOpt": host["SecurityOpt"],
            "User": attrs["Config"]["User"],
            "Memory": host["Memory"],
            "MemorySwap": host["MemorySwap"],
            "PidsLimit": host["PidsLimit"],
            "Init": host["Init"],
            "Privileged": host["Privileged"],
            "RestartPolicy": host["RestartPolicy"]["Name"],
        }
        assert sandbox == {
            "NetworkMode": "none",
            "ReadonlyRootfs": True,
            "CapDrop": ["ALL"],
            "SecurityOpt": ["no-new-privileges"],
            "User": "65534:65534",
            "Memory": 512 * 1024**2,
            "MemorySwap": 512 * 1024**2,
            "PidsLimit": 256,
            "Init": True,
            "Privileged": False,
            "RestartPolicy": "no",
        }, attrs["Name"]
    assert service.accepted == [], "the escape probe reached the loopback service during the container run"
