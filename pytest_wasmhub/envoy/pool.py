"""Reuse of running Envoys across tests that ask for the same configuration.

An Envoy goes back to the pool only when the test left it as it found it: still running, not wedged,
holding no request the module never finished, and with no new Wasm failure in its log (a trap fails the
VM for every later request). Anything else is stopped, so a case that poisons the VM cannot change the
next case's result. A VM that fails while its Envoy is idle (a timer that traps) is handed on as it is:
the next case meets the failed VM and says so.

A shared Envoy hosts several Wasm listeners, each with its plugins in VMs of their own (distinct
``vm_id``), and each test leases one listener. A listener is handed out once: whatever its test did to
its VM stays there. The Envoy serves its other listeners only while the whole process is sound (alive,
not wedged, holding no stream the module never finished); otherwise it is stopped like any other.

``prestart`` starts an Envoy for a spec in the background, so its start-up overlaps the tests that run
before the first one asking for it; ``acquire`` of the same spec (the same rendered bootstrap) takes it
as if it had just started it, a refusal included. One nobody asked for is stopped by ``close``.

An Envoy that cannot be handed on is stopped in the background (its shutdown took 30-40 ms, in the
teardown of the test that spent it); ``close`` waits for those stops too, so none outlives the pool.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import timing
from .bootstrap import EnvoySpec, render_bootstrap
from .handle import EnvoyHandle
from .threads import lives_until_stopped

if TYPE_CHECKING:
    from .factory import Runner


@dataclass
class _Lease:
    key: tuple[int, str]
    errors_at_start: int
    listener: str | None = None  # the Wasm listener of a shared Envoy this test was given


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
    # per shared Envoy (by id): its Wasm listeners no test was given yet
    _unspent: dict[int, set[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Envoys starting in the background for a later acquire, by key
    _starting: dict[tuple[int, str], list[Future[EnvoyHandle]]] = field(default_factory=dict)
    _starters: dict[int, ThreadPoolExecutor] = field(default_factory=dict)  # by runner
    _stopping: list[threading.Thread] = field(default_factory=list)

    def prestart(self, runner: Runner, spec: EnvoySpec, workdir: Path) -> None:
        """Start an Envoy for ``spec`` in the background for a later ``acquire`` of the same spec; a
        spec already running idle or starting is not started again."""
        key = (id(runner), render_bootstrap(spec))
        with self._lock:
            if self.idle.get(key) or self._starting.get(key):
                return
            starter = self._starters.get(id(runner))
            if starter is None:
                # a few at a time (the runner says how many), in the order asked: one that never
                # gets ready holds up only its own slot
                starter = self._starters[id(runner)] = ThreadPoolExecutor(
                    max_workers=max(1, getattr(runner, "starts_side_by_side", 2)),
                    thread_name_prefix="wasmhub-prestart",
                    initializer=lives_until_stopped,
                )
            started = starter.submit(_start_ahead, runner, spec, workdir)
            self._starting.setdefault(key, []).append(started)

    def acquire(
        self, runner: Runner, spec: EnvoySpec, workdir: Path, *, listener: str | None = None
    ) -> EnvoyHandle:
        """A clean Envoy for ``spec``; with ``listener``, one of a shared Envoy's Wasm listeners that
        no test was given before (``url`` then leads to it)."""
        key = (id(runner), render_bootstrap(spec))
        with self._lock:
            candidates = self.idle.get(key, [])
            usable = [e for e in candidates if listener is None or listener in self._unspent.get(id(e), ())]
            envoy = usable[-1] if usable else None
            if envoy is not None:
                candidates.remove(envoy)
        if envoy is not None and not envoy.ready():
            self._forget(envoy)
            envoy.stop()
            envoy = None
        fresh = envoy is None
        if envoy is None:
            envoy = self._prestarted(key)
        if envoy is None:
            envoy = runner.start(spec, workdir)
        if fresh:
            self.stats.started += 1
            if listener is not None:
                self._unspent[id(envoy)] = {plugin.listener for plugin in spec.plugins}
        else:
            self.stats.reused += 1
        if listener is not None:
            if listener not in self._unspent.get(id(envoy), ()):
                self._forget(envoy)
                envoy.stop()
                raise ValueError(f"no Wasm listener {listener!r} in this Envoy's spec")
            self._unspent[id(envoy)].discard(listener)
            envoy.use_listener(listener)
        self._leases[id(envoy)] = _Lease(key, envoy.wasm_failure_count(), listener)
        return envoy

    def _prestarted(self, key: tuple[int, str]) -> EnvoyHandle | None:
        """The Envoy started in the background for ``key``, once it is up (its refusal is raised here,
        as the start's would be); None when none was, or it is no longer sound."""
        with self._lock:
            waiting = self._starting.get(key)
            future = waiting.pop(0) if waiting else None
        if future is None:
            return None
        with timing.timed("envoy_start_wait"):  # what of the start-up the test still waits for
            envoy = future.result()
        if envoy.ready():
            return envoy
        envoy.stop()  # it died while it waited, as an idle one may: start afresh, like for those
        return None

    def release(self, envoy: EnvoyHandle) -> None:
        lease = self._leases.pop(id(envoy), None)
        sound = lease is not None and not envoy.wedged and not envoy.tainted and envoy.is_alive()
        if lease is not None and lease.listener is not None:
            # a shared Envoy: the test's own listener is spent whatever it did to its VM; the others
            # are untouched (their own VMs) and serve later tests while the process stays sound
            clean = sound and bool(self._unspent.get(id(envoy)))
        else:
            clean = sound and lease is not None and envoy.wasm_failure_count() == lease.errors_at_start
        if not clean:
            self.stats.discarded += lease is not None
            self._forget(envoy)
            self._stop_in_background(envoy)
            return
        assert lease is not None
        with self._lock:
            self.idle.setdefault(lease.key, []).append(envoy)

    def _stop_in_background(self, envoy: EnvoyHandle) -> None:
        stopping = threading.Thread(target=envoy.stop, name="wasmhub-envoy-stop")  # exit waits for it
        with self._lock:
            self._stopping = [thread for thread in self._stopping if thread.is_alive()]
            self._stopping.append(stopping)
        stopping.start()

    def _forget(self, envoy: EnvoyHandle) -> None:
        with self._lock:
            self._unspent.pop(id(envoy), None)

    def leased(self, envoy: EnvoyHandle) -> bool:
        return id(envoy) in self._leases

    def close(self) -> None:
        with self._lock:
            idle, self.idle = self.idle, {}
            starting, self._starting = self._starting, {}
        everyone = [envoy for envoys in idle.values() for envoy in envoys]
        for future in (future for futures in starting.values() for future in futures):
            if future.exception() is None:  # waits for it; a refusal nobody asked about is no news
                everyone.append(future.result())
        for envoy in everyone:
            self._forget(envoy)
        # side by side: each stop waits for its Envoy's shutdown
        with ThreadPoolExecutor(max_workers=max(1, len(everyone))) as stopping:
            list(stopping.map(lambda envoy: envoy.stop(), everyone))
        with self._lock:
            discarded, self._stopping = self._stopping, []
        for thread in discarded:
            thread.join()
        for starter in self._starters.values():  # only now: an Envoy dies with the thread that started it
            starter.shutdown(wait=True)
        self._starters.clear()


def _start_ahead(runner: Runner, spec: EnvoySpec, workdir: Path) -> EnvoyHandle:
    with timing.background():
        return runner.start(spec, workdir)
