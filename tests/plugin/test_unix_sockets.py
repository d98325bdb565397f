"""Envoy over Unix sockets, as the container backend runs it (no network), here with a local Envoy: the
handle's clients, the upstreams and the relay reach it the same way as over loopback TCP."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from wasmhub_test_support import EXAMPLE_MODULE

from pytest_wasmhub.envoy import ClusterSpec, EnvoySpec, ProcessRunner, render_bootstrap
from pytest_wasmhub.envoy.bootstrap import KIND_TEMPLATES
from pytest_wasmhub.module import load_module
from pytest_wasmhub.probes import probes_dir
from pytest_wasmhub.tcp_upstream import RESET_REQUEST, TcpUpstream
from pytest_wasmhub.upstream import Upstream


@pytest.fixture
def short_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="wasmhub-test-", dir="/tmp") as directory:
        yield Path(directory)


@pytest.mark.parametrize("kind", KIND_TEMPLATES)
def test_every_address_of_a_bootstrap_is_a_unix_socket_when_asked(kind):
    clusters = (ClusterSpec("auth", path="/s/auth.sock"),)
    tcp = render_bootstrap(EnvoySpec.for_module(Path("/m.wasm"), template=KIND_TEMPLATES[kind]))
    unix = render_bootstrap(
        EnvoySpec.for_module(
            Path("/m.wasm"),
            template=KIND_TEMPLATES[kind],
            socket_dir="/s",
            upstream="/s/up.sock",
            tcp_upstream="/s/tcp.sock",
            extra_clusters=clusters,
        )
    )
    assert "pipe" not in tcp and "socket_address" in tcp
    assert "socket_address" not in unix
    assert '"/s/admin.sock", mode: 438' in unix and '"/s/passthrough.sock", mode: 438' in unix
    assert 'pipe: { path: "/s/up.sock" }' in unix and 'pipe: { path: "/s/auth.sock" }' in unix


def test_an_http_filter_over_unix_sockets(envoy_binary, tmp_path, short_dir):
    module = load_module(EXAMPLE_MODULE, tmp_path)
    runner = ProcessRunner(envoy_binary)
    with Upstream(unix_socket=short_dir / "up.sock") as upstream:
        spec = EnvoySpec.for_module(module.path, upstream=upstream.address, socket_dir=str(short_dir))
        with runner.start(spec, tmp_path) as envoy:
            assert envoy.listener_sockets == {
                "wasm": str(short_dir / "wasm.sock"),
                "passthrough": str(short_dir / "passthrough.sock"),
            }
            assert envoy.http.get("/a").headers["x-wasmhub-example"] == "hello"
            assert upstream.last_request.header("x-wasmhub-seen") == "1"
            plain = envoy.client(envoy.passthrough_url).get("/b")
            assert (plain.status_code, plain.headers.get("x-wasmhub-example")) == (200, None)
            with envoy.new_client(envoy.passthrough_url, http2=True) as h2:
                assert h2.get("/c").http_version == "HTTP/2"
            assert envoy.stats()["http.wasm.downstream_rq_completed"] >= 1
            with envoy.connect("passthrough") as raw:
                raw.sendall(b"GET /raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert raw.recv(12) == b"HTTP/1.1 200"
            assert oct(os.stat(short_dir / "wasm.sock").st_mode & 0o777) == "0o666"


def test_a_network_filter_over_unix_sockets_echoes_and_sees_upstream_resets(
    envoy_binary, tmp_path, short_dir
):
    module = load_module(probes_dir() / "network_uppercase.wat", tmp_path)
    with TcpUpstream(unix_socket=short_dir / "tcp.sock") as tcp_upstream:
        spec = EnvoySpec.for_module(
            module.path,
            tcp_upstream=tcp_upstream.address,
            socket_dir=str(short_dir),
            template=KIND_TEMPLATES["network"],
        )
        with ProcessRunner(envoy_binary).start(spec, tmp_path) as envoy:
            with envoy.tcp("passthrough") as connection:
                connection.sendall(b"twelve bytes")
                connection.shutdown(socket.SHUT_WR)
                echoed = b""
                while chunk := connection.recv(4096):
                    echoed += chunk
            assert echoed == b"twelve bytes" and tcp_upstream.received == b"twelve bytes"
            with envoy.tcp("passthrough") as connection:
                connection.sendall(RESET_REQUEST)
                connection.settimeout(5)
                assert connection.recv(10) == b""  # Envoy closes the client side after the reset
            assert tcp_upstream.connections[-1].reset
            # Envoy's record: the upstream reset the second connection (UR), not the first; as over TCP
            deadline = time.monotonic() + 5
            while len(envoy.access_records()) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert [record.flags for record in envoy.access_records()] == ["", "UR"]


def test_a_tcp_cluster_is_reached_through_a_relay(tmp_path):
    pytest.importorskip("docker")
    from pytest_wasmhub.envoy.sockets import UPSTREAM_SOCKETS, SharedSockets

    shared = SharedSockets.create()
    try:
        with Upstream() as upstream:
            inside = shared.inside(upstream.address)
            assert inside.startswith(str(UPSTREAM_SOCKETS) + "/relay-")
            assert shared.inside(upstream.address) == inside  # one relay per address
            relay = shared.upstream / Path(inside).name
            with Upstream(unix_socket=relay.with_name("direct.sock")) as direct:
                assert shared.inside(direct.address) == str(UPSTREAM_SOCKETS / "direct.sock")
            transport_client = Upstream.__new__(Upstream)
            transport_client.unix_socket = str(relay)
            with transport_client.client() as client:
                assert client.post("/through", content=b"relayed").content == b"relayed"
            assert upstream.last_request.path == "/through"
        with pytest.raises(ValueError, match="reaches only Unix sockets in"):
            shared.inside(str(tmp_path / "elsewhere.sock"))
    finally:
        shared.close()
    assert not shared.root.exists()


def test_the_socket_directory_of_a_killed_process_is_removed_by_the_next(tmp_path):
    pytest.importorskip("docker")
    from pytest_wasmhub.envoy import sockets

    gone = subprocess.Popen(["true"])
    gone.wait()
    leftover = Path(sockets._BASE) / f"{sockets._PREFIX}{gone.pid}-test"
    (leftover / "upstream").mkdir(parents=True)
    alive = Path(sockets._BASE) / f"{sockets._PREFIX}{os.getpid()}-test"
    (alive / "upstream").mkdir(parents=True)
    try:
        sockets.SharedSockets.create().close()
        assert not leftover.exists()
        assert alive.exists()  # its owner still runs
    finally:
        for directory in (leftover, alive):
            subprocess.run(["rm", "-rf", str(directory)], check=True)
