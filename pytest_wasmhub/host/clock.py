"""The host's clock. Tests drive it: time moves only when ``advance`` is called, so timers, HTTP-call
timeouts and reload back-offs are deterministic."""

from __future__ import annotations

import time


class ManualClock:
    """Wall-clock and monotonic time in nanoseconds, frozen until advanced."""

    def __init__(self, start_ns: int | None = None) -> None:
        self._realtime_start = time.time_ns() if start_ns is None else start_ns
        self._elapsed_ns = 0

    @property
    def realtime_ns(self) -> int:
        return self._realtime_start + self._elapsed_ns

    @property
    def monotonic_ns(self) -> int:
        return self._elapsed_ns

    @property
    def monotonic_ms(self) -> float:
        return self._elapsed_ns / 1e6

    def advance(self, milliseconds: float) -> None:
        if milliseconds < 0:
            raise ValueError(f"the clock cannot go back ({milliseconds} ms)")
        self._elapsed_ns += int(milliseconds * 1_000_000)

    def set_monotonic_ms(self, milliseconds: float) -> None:
        target = int(milliseconds * 1_000_000)
        if target < self._elapsed_ns:
            raise ValueError(f"the clock cannot go back to {milliseconds} ms")
        self._elapsed_ns = target
