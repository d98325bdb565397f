"""Envoy in a hardened Docker container, through testcontainers: a sandbox for untrusted modules, and
a way to test on the exact Envoy image an author ships.

Each Envoy gets its own container: create, copy the bootstrap and modules in (``put_archive``), start,
wait for admin ``/ready``. The sandbox (limits.py) assumes the module is hostile: read-only root
filesystem, no capabilities, ``no-new-privileges``, an unprivileged user, memory and pids limits, no
restart, and **no network** (network mode ``none``: the container has only its own loopback).

Envoy's listeners, its admin endpoint and its clusters are Unix sockets (Envoy ``pipe`` addresses) in
two host directories bind-mounted into the container (sockets.py): one of the container's own, where
Envoy creates its listeners, and one, read-only, where the suite's upstreams listen (a cluster the
bootstrap points at a loopback TCP address is reached through a relay there, relay.py). Nothing else
of the host is reachable: not its loopback services, not its other sockets. The price: the engine
must run on this machine (the sockets are in its file system).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import io
import itertools
import math
import os
import shutil
import tarfile
import threading
import weakref
from pathlib import Path, PurePosixPath
from typing import Any

import docker
import docker.errors
import requests.exceptions
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import WaitStrategy

from ..timing import timed
from . import cleanup
from .bootstrap import (
    Address,
    EnvoySpec,
    access_log_flush_arguments,
    render_bootstrap,
    writes_files_at_once,
)
from .container_facts import ContainerFacts
from .dockerhost import ContainerBackendError, connect, require_image
from .growing import GrowingFile
from .handle import EnvoyHandle, describe_exit
from .image import ENVOY_PATH_IN_IMAGE, envoy_version_in_image
from .limits import ContainerLimits
from .logs import tail
from .sockets import ENVOY_SOCKETS, SharedSockets, is_socket

# Ryuk, testcontainers' reaper, is an image to pull; cleanup.py labels and removes containers instead.
testcontainers_config.ryuk_disabled = True

DEFAULT_READY_TIMEOUT = 30.0
# where the bootstrap and modules are copied: an anonymous volume, removed with the container
VOLUME = PurePosixPath("/wasmhub")
BOOTSTRAP = VOLUME / "bootstrap.yaml"
OOM_KILLED = "killed by the container memory limit (OOMKilled)"
_counter = itertools.count()
_live: weakref.WeakSet[ContainerEnvoy] = weakref.WeakSet()
# in the directory shared with the container (ENVOY_SOCKETS): Envoy's log and its access records
LOG_FILE = "envoy.log"
ACCESS_LOG_FILE = "access.log"
_leftovers_checked = threading.Lock()
_leftovers_done = False


class ContainerEnvoy(EnvoyHandle):
    backend = "container"

    def __init__(
        self,
        container: DockerContainer,
        *,
        bootstrap_path: Path,
        image: str,
        limits: ContainerLimits,
        socket_dir: Path,
    ):
        super().__init__(bootstrap_path=bootstrap_path)
        self.socket_dir = socket_dir  # the host side of the container's ENVOY_SOCKETS
        # Envoy's log and access records, written in the shared directory: read like the process
        # backend's files (asking Docker for the output at every request cost 10-20 ms each)
        self._log_file = GrowingFile(socket_dir / LOG_FILE, follow_links=False)
        self._access_file = GrowingFile(socket_dir / ACCESS_LOG_FILE, follow_links=False)
        self.container = container
        self.image = image
        self.limits = limits
        self.session = ""
        self._final_logs: str | None = None
        self._final_facts: ContainerFacts | None = None

    @property
    def _docker(self) -> docker.models.containers.Container | None:
        return self.container._container

    # --- EnvoyHandle ------------------------------------------------------------------------
    def logs(self) -> str:
        if self._final_logs is not None:
            return self._final_logs
        # no file: a release that writes it late logs to the output (see ``_command``), and what Envoy
        # printed before its log file was open (a bad command line) is there too
        return self._log_file.read() or self._output()

    def access_log(self) -> str:
        return self._access_file.read()

    def _output(self) -> str:
        """The container's own output (stdout and stderr)."""
        if self._docker is None:
            return ""
        try:
            return self._docker.logs(stdout=True, stderr=True).decode(errors="replace")
        except docker.errors.NotFound:
            return ""

    def facts(self) -> ContainerFacts | None:
        """Docker's view now (None before the container exists)."""
        if self._final_facts is not None:
            return self._final_facts
        if self._docker is None:
            return None
        try:
            self._docker.reload()
        except docker.errors.NotFound:
            # removed from outside (docker rm -f): Docker forgot how it ended; rm -f kills with SIGKILL
            return ContainerFacts(self._docker.id[:12], "removed", False, 137, False, 0, "")
        return ContainerFacts.from_attrs(self._docker.attrs)

    def exit_code(self) -> int | None:
        facts = self.facts()
        if facts is None or facts.exit_code is None:
            return None
        # Envoy runs under Docker's init, which exits 128+N when Envoy died of signal N; report that
        # as the process backend does (-N). Envoy's own exit codes are small (0, 1).
        return -(facts.exit_code - 128) if facts.exit_code > 128 else facts.exit_code

    def exit_description(self) -> str:
        facts = self.facts()
        if facts is not None and facts.oom_killed:
            return OOM_KILLED
        return describe_exit(self.exit_code())

    def _admin_address(self) -> Address | None:
        # the bootstrap names it (admin.sock); it exists once Envoy listens
        path = self.socket_dir / "admin.sock"
        return str(path) if is_socket(path) else None

    def _host_path(self, path: str) -> str:
        # Envoy reports its sockets as the container sees them. The directory is the container's to
        # write: the suite only follows a name to a socket, never to a link planted there.
        inner = PurePosixPath(path)
        if inner.parent != ENVOY_SOCKETS:
            raise ContainerBackendError(f"Envoy listens at {path}, outside {ENVOY_SOCKETS}")
        host = self.socket_dir / inner.name
        if not is_socket(host):
            raise ContainerBackendError(f"{host} (Envoy's {path}) is not a Unix socket")
        return str(host)

    def _terminate(self, grace: float) -> None:
        if self._docker is not None:
            # SIGTERM to the init, which passes it to Envoy; SIGKILL after the grace time (a worker
            # wedged in a looping module ignores SIGTERM)
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                self._docker.stop(timeout=max(1, math.ceil(grace)))

    # --- container specifics ---------------------------------------------------------------
    def stop(self, grace: float = 3.0) -> int | None:
        """Stop Envoy and remove the container (and its volume), keeping its logs and last state."""
        code = super().stop(grace)
        self.remove()
        return code

    def remove(self) -> None:
        if self._final_facts is not None:
            return
        own, output, facts = self._log_file.read(), self._output(), self.facts()
        logs = own + output if output.strip() else own
        self._final_logs = logs
        self._final_facts = facts
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            self.container.stop(force=True, delete_volume=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        _live.discard(self)

    def wait_exit(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for the container to stop; its exit status, None if it runs."""
        if self._docker is not None and self._final_facts is None:
            with contextlib.suppress(docker.errors.APIError, requests.exceptions.RequestException):
                self._docker.wait(timeout=timeout)
        return self.exit_code()

    def describe_state(self) -> str:
        """One line: the container, how it ended (if it did), restarts and the limits in force."""
        facts = self.facts()
        if facts is not None and facts.running and not self.ready(timeout=0.5):
            # Envoy stops answering before Docker records its death (an OOM kill): give Docker a moment
            self.wait_exit(2.0)
            facts = self.facts()
        if facts is None:
            return f"container (not created) from {self.image}"
        how = "running" if facts.running else f"{facts.status}, {self.exit_description()}"
        return (
            f"container {facts.id} from {self.image}: {how}; restarts {facts.restart_count}; "
            f"limits: {self.limits.describe()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        """The container's state (how it stopped, e.g. OOMKilled) above the tail of Envoy's log."""
        return f"{self.describe_state()}\n{tail(self.logs(), lines)}"


class _EnvoyReady(WaitStrategy):
    """Testcontainers' wait step: Envoy's admin ``/ready`` says LIVE; fails fast when Envoy exits."""

    def __init__(self, envoy: ContainerEnvoy, timeout: float) -> None:
        super().__init__()
        self.envoy = envoy
        self.timeout = timeout

    def wait_until_ready(self, container: Any) -> None:
        self.envoy.wait_ready(self.timeout)


class _EnvoyContainer(DockerContainer):
    """Copies files into the volume: put_archive into a read-only root filesystem is refused by the
    engine, even before start (measured), but a volume in it accepts files."""

    def _transfer_into_container(self, transferable: Any, destination_in_container: str, mode: int) -> None:
        if self._container is None or not isinstance(transferable, bytes):
            raise ContainerBackendError("internal: copy an archive into a created container")
        if not self._container.put_archive(path=destination_in_container, data=transferable):
            raise ContainerBackendError(
                f"could not copy files into the container at {destination_in_container}"
            )


def _archive(files: dict[str, bytes]) -> bytes:
    """A tar of the files, read-only (Envoy runs as nobody; the engine writes them as root)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("modules")
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        archive.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o444
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class ContainerRunner:
    """Starts each Envoy in its own container from ``image`` (built by ``build_envoy_image`` or pulled)."""

    backend = "container"
    # a start mostly waits on the Docker daemon (~0.6 s): three at once ended a run 0.2 s sooner than two
    starts_side_by_side = 3

    def __init__(
        self,
        image: str,
        *,
        limits: ContainerLimits | None = None,
        ready_timeout: float = DEFAULT_READY_TIMEOUT,
        envoy_path: str = ENVOY_PATH_IN_IMAGE,
        session: str | None = None,
    ) -> None:
        self.image = image
        self.limits = limits or ContainerLimits()
        self.ready_timeout = ready_timeout
        self.envoy_path = envoy_path
        self.session = session
        self._checked = False
        self._envoy_version: str | None = None
        self._sockets: SharedSockets | None = None

    @property
    def sockets(self) -> SharedSockets:
        """The host directories shared with this runner's containers (made at first use)."""
        if self._sockets is None:
            self._sockets = SharedSockets.create()
        return self._sockets

    def upstream_socket(self, name: str) -> str | None:
        """Where a suite upstream named ``name`` listens so that this runner's Envoys reach it: a Unix
        socket in the shared directory (the containers have no network)."""
        return str(self.sockets.upstream_socket(name))

    def envoy_version(self) -> str:
        """The Envoy version in the image (its label, else what its Envoy says)."""
        if self._envoy_version is None:
            client = connect()
            try:
                self._envoy_version = envoy_version_in_image(client, self.image, self.envoy_path)
            finally:
                client.close()
        return self._envoy_version

    def remove_all(self) -> None:
        """Stop and remove every container of this runner's session, with or without a handle."""
        if self.session is not None:
            stop_all(self.session)
            with contextlib.suppress(ContainerBackendError):
                client = connect(timeout=10)
                try:
                    cleanup.remove_owned(client, cleanup.Owner.current(self.session))
                finally:
                    client.close()
        if self._sockets is not None:
            self._sockets.close()
            self._sockets = None

    def check(self) -> docker.DockerClient:
        """Docker answers and has the image; leftovers of killed sessions are removed (once per process)."""
        global _leftovers_done
        client = connect()
        require_image(client, self.image)
        self._checked = True
        with _leftovers_checked:
            if not _leftovers_done:
                cleanup.remove_leftovers(client)
                _leftovers_done = True
        return client

    def start(self, spec: EnvoySpec, workdir: Path) -> ContainerEnvoy:
        """Start Envoy for ``spec`` in a new container and wait until it is ready.

        Raises ``EnvoyStartError`` when Envoy refuses, ``ContainerBackendError`` when Docker does."""
        with timed("envoy_start"):
            return self._start(spec, workdir)

    def _start(self, spec: EnvoySpec, workdir: Path) -> ContainerEnvoy:
        if not self._checked:
            self.check().close()
        rundir = Path(workdir) / f"envoy-container-{os.getpid()}-{next(_counter)}"
        rundir.mkdir(parents=True, exist_ok=False)
        socket_dir = self.sockets.envoy_dir()
        inner_spec, files = self._contents(spec)
        bootstrap_text = render_bootstrap(inner_spec, access_log_path=ENVOY_SOCKETS / ACCESS_LOG_FILE)
        bootstrap = rundir / "bootstrap.yaml"  # a copy of what the container runs, for failure reports
        bootstrap.write_text(bootstrap_text)
        files["bootstrap.yaml"] = bootstrap_text.encode()
        owner = cleanup.Owner.current(self.session)
        container = (
            _EnvoyContainer(self.image)
            .with_command(self._command(spec))
            .with_kwargs(
                entrypoint=[self.envoy_path],
                labels=owner.labels(),
                mounts=[_volume(), *self.sockets.mounts(socket_dir)],
                **self.limits.docker_arguments(),
            )
            .with_copy_into_container(_archive(files), str(VOLUME))
        )
        envoy = ContainerEnvoy(
            container, bootstrap_path=bootstrap, image=self.image, limits=self.limits, socket_dir=socket_dir
        )
        envoy.session = owner.session
        container.waiting_for(_EnvoyReady(envoy, self.ready_timeout))
        _live.add(envoy)
        try:
            container.start()
        except docker.errors.DockerException as exc:
            envoy.remove()
            raise ContainerBackendError(f"Docker could not run {self.image}: {exc}") from None
        except BaseException:
            envoy.stop(grace=1.0)
            raise
        return envoy

    def _contents(self, spec: EnvoySpec) -> tuple[EnvoySpec, dict[str, bytes]]:
        """The spec with module paths and sockets as the container sees them, and the files to copy in."""
        files: dict[str, bytes] = {}
        plugins = []
        for index, plugin in enumerate(spec.plugins):
            name = f"modules/{index}-{Path(plugin.module_path).name}"
            files[name] = Path(plugin.module_path).read_bytes()
            plugins.append(dataclasses.replace(plugin, module_path=VOLUME / name))
        inside = self.sockets.inside
        inner = dataclasses.replace(
            spec,
            plugins=tuple(plugins),
            socket_dir=str(ENVOY_SOCKETS),
            upstream=inside(spec.upstream),
            tcp_upstream=None if spec.tcp_upstream is None else inside(spec.tcp_upstream),
            extra_clusters=tuple(
                dataclasses.replace(c, host="", port=0, path=str(inside(c.address)))
                for c in spec.extra_clusters
            ),
        )
        return inner, files

    def _command(self, spec: EnvoySpec) -> list[str]:
        version = self.envoy_version()
        # Envoy's log in the shared directory only where it is written at once: before 1.37 it would
        # lag behind the stream it tells of, and the container's output does not
        own_log = ["--log-path", str(ENVOY_SOCKETS / LOG_FILE)] if writes_files_at_once(version) else []
        return [
            "--config-path",
            str(BOOTSTRAP),
            *own_log,
            "--disable-hot-restart",
            *access_log_flush_arguments(version),
            "--concurrency",
            str(spec.concurrency),
            "--log-level",
            spec.log_level,
            *(["--component-log-level", spec.component_log_level] if spec.component_log_level else []),
        ]


def _volume() -> docker.types.Mount:
    return docker.types.Mount(target=str(VOLUME), source=None, type="volume")


def stop_all(session: str | None = None) -> None:
    """Stop and remove every container this process started (of one session, if given)."""
    for envoy in list(_live):
        if session is None or envoy.session == session:
            envoy.stop(grace=1.0)


def _at_exit() -> None:
    stop_all()
    # containers whose handle was lost (an interrupted start) still carry this process's labels
    with contextlib.suppress(ContainerBackendError):
        client = connect(timeout=10)
        cleanup.remove_owned(client, cleanup.Owner.current(), whole_process=True)
        client.close()


atexit.register(_at_exit)
