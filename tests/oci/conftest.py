"""A real OCI registry for the packaging tests: Debian's ``docker-registry`` (distribution 2.8) on 127.0.0.1.

Each xdist worker starts its own registry, on a port the OS picked, with storage in a temporary
directory and a config the fixture writes; it is stopped and reaped at teardown.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_wasmhub.module import WasmModule, load_module

REGISTRY_BINARY = Path("/usr/bin/docker-registry")
DATA = Path(__file__).resolve().parent / "data"
READY_TIMEOUT = 10.0
START_ATTEMPTS = 5


@dataclass
class Registry:
    host: str  # 127.0.0.1:PORT
    storage: Path
    process: subprocess.Popen[bytes]

    def reference(self, name: str) -> str:
        return f"oci://{self.host}/{name}"

    def blob_file(self, digest: str) -> Path:
        """Where distribution's filesystem driver keeps a blob (to damage it behind the registry's back)."""
        algorithm, encoded = digest.split(":", 1)
        return self.storage / "docker/registry/v2/blobs" / algorithm / encoded[:2] / encoded / "data"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(port: int, storage: Path, auth: str | None) -> str:
    lines = [
        "version: 0.1",
        "log: {level: error, accesslog: {disabled: true}}",
        "storage:",
        f"  filesystem: {{rootdirectory: {storage}}}",
        "  delete: {enabled: true}",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        "  secret: wasmhub-tests-only",
    ]
    if auth == "silly":
        # distribution's "silly" controller: a request without an Authorization header gets a 401 challenge
        lines += [
            "auth:",
            "  silly:",
            f"    realm: http://127.0.0.1:{port}/token",
            "    service: wasmhub-tests",
        ]
    return "\n".join(lines) + "\n"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # a 401 from a registry with auth is an answer too
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def running_registry(workdir: Path, auth: str | None = None) -> Iterator[Registry]:
    """Start a registry; retry on another port if the chosen one was taken meanwhile."""
    if not REGISTRY_BINARY.exists():
        pytest.skip(f"{REGISTRY_BINARY} is missing: install the Debian package docker-registry")
    failures = []
    for attempt in range(START_ATTEMPTS):
        port = free_port()
        storage = workdir / f"storage-{attempt}"
        config = workdir / f"config-{attempt}.yml"
        config.write_text(_config(port, storage, auth))
        log = (workdir / f"registry-{attempt}.log").open("wb")
        process = subprocess.Popen([str(REGISTRY_BINARY), "serve", str(config)], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while process.poll() is None and time.monotonic() < deadline:
                if _answers(f"http://127.0.0.1:{port}/v2/"):
                    yield Registry(f"127.0.0.1:{port}", storage, process)
                    return
                time.sleep(0.05)
            failures.append(f"port {port}: {(workdir / f'registry-{attempt}.log').read_text()[-500:]}")
        finally:
            _stop(process)
            log.close()
    pytest.fail(f"docker-registry did not start: {failures}")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture
def private_registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry for one test: blobs are shared by all repositories, so a test that damages one needs this."""
    with running_registry(tmp_path) as running:
        yield running


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("auth-registry"), auth="silly") as running:
        yield running


@pytest.fixture(scope="session")
def root_filter(tmp_path_factory: pytest.TempPathFactory) -> WasmModule:
    """A valid ABI 0.2.1 filter that starts under the root ids filter_root and second_root only."""
    return load_module(DATA / "root_filter.wat", tmp_path_factory.mktemp("modules"))


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (the OS just handed it out and took it back)."""
    return free_port()


@pytest.fixture
def repository(request: pytest.FixtureRequest) -> str:
    """A repository name of this test's own (the registry is shared by the session)."""
    name = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")
    return f"tests/{name[:80].strip('-')}"
