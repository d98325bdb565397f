"""The host directories a container backend shares with its Envoys: the only way in or out of a
container that has no network.

    /tmp/wasmhub-sockets-PID-XXXX/  this process's, 0700: no other host user reaches into it; removed at
                                  exit, or by the next process when PID is gone (a kill -9)
        upstream/                 the suite's upstreams and relays listen here (0755, sockets 0666);
                                  mounted read-only at UPSTREAM_SOCKETS in every container
        envoy-N/                  one Envoy's own (0777: Envoy runs as 65534); mounted at
                                  ENVOY_SOCKETS, where Envoy creates its listeners and admin sockets

Paths stay short: a Unix socket path has at most 107 bytes.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import stat
import tempfile
import threading
import weakref
from pathlib import Path, PurePosixPath

import docker

from .bootstrap import Address
from .relay import TcpRelay

ENVOY_SOCKETS = PurePosixPath("/sockets/envoy")
UPSTREAM_SOCKETS = PurePosixPath("/sockets/upstream")
_live: weakref.WeakSet[SharedSockets] = weakref.WeakSet()
_BASE = "/tmp"  # not $TMPDIR: a socket path must stay short
_PREFIX = "wasmhub-sockets-"


def _remove_leftovers() -> None:
    """Remove the directories of processes that are gone (killed before they could)."""
    for directory in Path(_BASE).glob(f"{_PREFIX}*-*"):
        pid = directory.name.removeprefix(_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or not (directory / "upstream").is_dir() or directory.is_symlink():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(directory, ignore_errors=True)
        except PermissionError:
            pass  # alive, another user's


def is_socket(path: Path) -> bool:
    """``path`` is a Unix socket itself (a symbolic link to one is not)."""
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


class SharedSockets:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.upstream = root / "upstream"
        self.upstream.mkdir(mode=0o755)
        self._names = itertools.count()
        self._relays: dict[tuple[str, int], TcpRelay] = {}
        self._lock = threading.Lock()
        _live.add(self)

    @classmethod
    def create(cls) -> SharedSockets:
        _remove_leftovers()
        return cls(Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=_BASE)))

    def upstream_socket(self, name: str) -> Path:
        """A fresh path for an upstream of the suite's to listen on."""
        return self.upstream / f"{name}-{next(self._names)}.sock"

    def envoy_dir(self) -> Path:
        """A new directory for one Envoy's sockets."""
        directory = self.root / f"envoy-{next(self._names)}"
        directory.mkdir()
        directory.chmod(0o777)  # Envoy (uid 65534) creates its sockets here
        return directory

    def mounts(self, envoy_dir: Path) -> list[docker.types.Mount]:
        return [
            docker.types.Mount(target=str(ENVOY_SOCKETS), source=str(envoy_dir), type="bind"),
            # connecting to a socket on a read-only mount works; creating or replacing one does not
            docker.types.Mount(
                target=str(UPSTREAM_SOCKETS), source=str(self.upstream), type="bind", read_only=True
            ),
        ]

    def inside(self, address: Address) -> str:
        """``address`` as a container reaches it: a socket in the upstream directory, or a relay made
        there to a TCP address the bootstrap names."""
        if isinstance(address, tuple):
            address = str(self._relay(address))
        path = Path(address)
        if path.parent != self.upstream:
            raise ValueError(
                f"{address}: a container reaches only Unix sockets in {self.upstream} "
                "(ask the runner for one: upstream_socket(name))"
            )
        return str(UPSTREAM_SOCKETS / path.name)

    def _relay(self, target: tuple[str, int]) -> Path:
        with self._lock:
            if target not in self._relays:
                path = self.upstream / f"relay-{next(self._names)}.sock"
                self._relays[target] = TcpRelay(path, (target[0], int(target[1])))
            return self._relays[target].path

    def close(self) -> None:
        with self._lock:
            relays, self._relays = list(self._relays.values()), {}
        for relay in relays:
            relay.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        _live.discard(self)


def _at_exit() -> None:
    for shared in list(_live):
        with contextlib.suppress(OSError):
            shared.close()


atexit.register(_at_exit)
