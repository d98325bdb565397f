"""Where a run's time goes: Envoy start-ups, requests and deliberate waits, recorded to the file named
by ``WASMHUB_TIMINGS`` (one ``kind seconds [label]`` line each; xdist workers append to the same
file). Off, and free, when the variable is unset. ``benchmarks/conformance_run.py`` reads it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "WASMHUB_TIMINGS"
# set in a thread doing work nobody waits for yet (an Envoy started ahead): its records say so
_place = threading.local()


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def record(kind: str, seconds: float, label: str = "") -> None:
    path = os.environ.get(ENV)
    if path:
        if getattr(_place, "background", False):
            kind += "_background"
        # one short write per line: appends from several processes do not interleave
        with open(path, "a") as out:
            out.write(f"{kind} {seconds:.6f}{' ' + label if label else ''}\n")


@contextmanager
def timed(kind: str) -> Iterator[None]:
    if not os.environ.get(ENV):
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        record(kind, time.perf_counter() - started)


@contextmanager
def background() -> Iterator[None]:
    """Records made inside are of work done ahead, in the background (``KIND_background``): the run's
    wall time includes only what it waited for (recorded by the waiter)."""
    _place.background = True
    try:
        yield
    finally:
        _place.background = False
