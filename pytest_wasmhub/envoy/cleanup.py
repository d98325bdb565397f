"""Labels on every container pytest-wasmhub starts, and their removal.

Testcontainers' reaper (Ryuk) needs an image pulled from a registry, so it is not used. Instead each
container names its owner: session, xdist worker, and the owning process (PID, its start time, the
host and boot it runs on). A session removes its own containers when it ends or is interrupted, and
at start removes those whose owner is gone (a ``kill -9``'d pytest can remove nothing itself).

An xdist worker also watches its controller (``on_parent_exit``): when the controller is killed the
worker removes its Envoys and containers at once instead of when it notices the lost connection.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import docker

MANAGED = "io.wasmhub.managed"
SESSION = "io.wasmhub.session"
WORKER = "io.wasmhub.worker"
OWNER_PID = "io.wasmhub.owner.pid"
OWNER_START = "io.wasmhub.owner.start"  # start time of the owning process: a reused PID is not the owner
OWNER_BOOT = "io.wasmhub.owner.boot"
OWNER_HOST = "io.wasmhub.owner.host"


def process_start_time(pid: int) -> str | None:
    """Clock ticks from boot to the start of ``pid`` (``/proc/PID/stat`` field 22); None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # fields[0] is field 3 (state); a zombie has exited already
    return None if fields[0] == "Z" else fields[19]


@cache
def boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return "unknown"


@cache
def _process_session(pid: int) -> str:
    # one id per process when the caller names no session (the pid keys the cache: a forked child
    # gets its own)
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Owner:
    """Who started a container: enough to tell later whether that process still runs."""

    session: str
    worker: str
    pid: int
    start: str
    boot: str
    host: str

    @classmethod
    def current(cls, session: str | None = None) -> Owner:
        pid = os.getpid()
        return cls(
            session=session or _process_session(pid),
            worker=os.environ.get("PYTEST_XDIST_WORKER", "main"),
            pid=pid,
            start=process_start_time(pid) or "",
            boot=boot_id(),
            host=socket.gethostname(),
        )

    def labels(self) -> dict[str, str]:
        return {
            MANAGED: "true",
            SESSION: self.session,
            WORKER: self.worker,
            OWNER_PID: str(self.pid),
            OWNER_START: self.start,
            OWNER_BOOT: self.boot,
            OWNER_HOST: self.host,
        }


def owner_is_gone(labels: Mapping[str, str]) -> bool:
    """True only when the container's owner certainly no longer runs.

    A container from another host (a shared Docker daemon) is never judged: its owner may be alive.
    """
    if labels.get(OWNER_HOST) != socket.gethostname():
        return False
    if labels.get(OWNER_BOOT) != boot_id():
        return True  # the machine rebooted since
    pid = labels.get(OWNER_PID, "")
    if not pid.isdigit():
        return True
    started = process_start_time(int(pid))
    return started is None or started != labels.get(OWNER_START)


def _remove(containers: list[docker.models.containers.Container]) -> list[str]:
    import docker.errors

    removed = []
    for container in containers:
        # NotFound / 409 "removal in progress": another session or worker removes it at the same time
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            container.remove(force=True, v=True)  # v: its anonymous volume (the copied module) too
            removed.append(container.name)
    return removed


def managed_containers(
    client: docker.DockerClient, labels: Mapping[str, str] | None = None
) -> list[docker.models.containers.Container]:
    """Containers of pytest-wasmhub, running or not, with the given label values."""
    import docker.errors

    selectors = [MANAGED] + [f"{name}={value}" for name, value in (labels or {}).items()]
    found = []
    # listed sparse, then read one by one: a container removed in between (another session's cleanup,
    # a test's own teardown) is skipped, where a full listing raises NotFound for it (seen here)
    for container in client.containers.list(all=True, filters={"label": selectors}, sparse=True):
        try:
            container.reload()
        except docker.errors.NotFound:
            continue
        found.append(container)
    return found


def remove_leftovers(client: docker.DockerClient) -> list[str]:
    """Remove containers whose owning process is gone (a killed session); returns their names."""
    dead = [c for c in managed_containers(client) if owner_is_gone(c.labels)]
    return _remove(dead)


def remove_owned(client: docker.DockerClient, owner: Owner, *, whole_process: bool = False) -> list[str]:
    """Remove the containers ``owner`` started: of its session, or of the whole process."""
    selectors = {OWNER_PID: str(owner.pid), OWNER_BOOT: owner.boot, OWNER_HOST: owner.host}
    if not whole_process:
        selectors[SESSION] = owner.session
    return _remove(managed_containers(client, selectors))


def on_parent_exit(action: Callable[[], None], poll_interval: float = 0.2) -> threading.Thread:
    """Run ``action`` in a daemon thread as soon as this process's parent exits (an xdist worker's
    controller killed with ``kill -9``: the worker itself notices only seconds later).

    Uses a pidfd where the kernel has one (Linux 5.3+): woken at the exit itself; else polls the
    parent's pid.
    """
    parent = os.getppid()

    def watch() -> None:
        try:
            descriptor = os.pidfd_open(parent)
        except (AttributeError, OSError):
            while os.getppid() == parent:
                time.sleep(poll_interval)
        else:
            select.select([descriptor], [], [])  # readable once the parent has exited
        action()

    thread = threading.Thread(target=watch, name="wasmhub-parent-watch", daemon=True)
    thread.start()
    return thread
