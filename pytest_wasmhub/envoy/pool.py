"""Reuse of running Envoys across tests that ask for the same configuration.

An Envoy goes back to the pool only when the test left it as it found it: still running, not wedged,
holding no request the module never finished, and with no new Wasm failure in its log (a trap fails the
VM for every later request). Anything else is stopped, so a case that poisons the VM cannot change the
next case's result. A VM that fails while its Envoy is idle (a timer that traps) is handed on as it is:
the next case meets the failed VM and says so.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .bootstrap import EnvoySpec, render_bootstrap
from .handle import EnvoyHandle

if TYPE_CHECKING:
    from .factory import Runner


@dataclass
class _Lease:
    key: tuple[int, str]
    errors_at_start: int


@dataclass
class PoolStats:
    started: int = 0
    reused: int = 0
    discarded: int = 0  # returned in a state another test must not inherit


@dataclass
class EnvoyPool:
    """``acquire`` an Envoy for a spec, ``release`` it after the test; ``close`` stops them all."""

    idle: dict[tuple[int, str], list[EnvoyHandle]] = field(default_factory=dict)
    stats: PoolStats = field(default_factory=PoolStats)
    _leases: dict[int, _Lease] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self, runner: Runner, spec: EnvoySpec, workdir: Path) -> EnvoyHandle:
        key = (id(runner), render_bootstrap(spec))
        with self._lock:
            candidates = self.idle.get(key, [])
            envoy = candidates.pop() if candidates else None
        if envoy is not None and not envoy.ready():
            envoy.stop()
            envoy = None
        if envoy is None:
            envoy = runner.start(spec, workdir)
            self.stats.started += 1
        else:
            self.stats.reused += 1
        self._leases[id(envoy)] = _Lease(key, envoy.wasm_failure_count())
        return envoy

    def release(self, envoy: EnvoyHandle) -> None:
        lease = self._leases.pop(id(envoy), None)
        clean = (
            lease is not None
            and not envoy.wedged
            and not envoy.tainted
            and envoy.is_alive()
            and envoy.wasm_failure_count() == lease.errors_at_start
        )
        if not clean:
            self.stats.discarded += lease is not None
            envoy.stop()
            return
        with self._lock:
            self.idle.setdefault(lease.key, []).append(envoy)

    def leased(self, envoy: EnvoyHandle) -> bool:
        return id(envoy) in self._leases

    def close(self) -> None:
        with self._lock:
            idle, self.idle = self.idle, {}
        for envoys in idle.values():
            for envoy in envoys:
                envoy.stop()
