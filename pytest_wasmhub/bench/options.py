"""What a benchmark runs, each value checked against the bounds that keep a run short and loopback-only.

Defaults suit a 2-core machine: one Envoy worker (so the worker is the bottleneck and its time per
request is what the module adds to), one h2load thread, 4 connections.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .loadgen import PROTOCOLS

DEFAULT_DURATION = 1.0  # seconds per run when no request count is given
MAX_BODY_SIZE = 16 * 1024 * 1024  # the origin's buffer limit (envoy-configs/bench-origin.yaml)
STREAMS_BY_PROTOCOL = {"h1": 1, "h2": 8}  # no HTTP/1.1 pipelining by default; HTTP/2 multiplexes
TIME_LIMIT_MARGIN = 30.0  # seconds a timed run may overrun before h2load is killed
COUNT_TIME_LIMIT = 120.0  # seconds a counted run may take before h2load is killed

# name: (lowest, highest); names are the command's options without the leading dashes
_BOUNDS: dict[str, tuple[float, float]] = {
    "rounds": (1, 100),
    "warmup-rounds": (0, 10),
    "requests": (1, 10_000_000),
    "duration": (0.1, 600),
    "connections": (1, 1000),
    "streams": (1, 1000),
    "threads": (1, 64),
    "body-size": (0, MAX_BODY_SIZE),
    "envoy-concurrency": (1, 64),
    "run-time-limit": (1, 3600),
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class BenchOptionError(ValueError):
    """An option out of its bounds; the message names the option."""


@dataclass(frozen=True)
class BenchOptions:
    protocols: tuple[str, ...] = ("h1", "h2")
    body_size: int = 0  # bytes POSTed with each request; 0 sends GETs
    requests: int | None = None  # per run; exclusive with duration
    duration: float | None = None  # seconds per run; DEFAULT_DURATION when neither is given
    rounds: int = 5  # measured rounds, each one run with and one without the module
    warmup_rounds: int = 1  # run first and discarded
    connections: int = 4
    streams: int | None = None  # per connection; None: STREAMS_BY_PROTOCOL
    threads: int = 1  # h2load threads
    envoy_concurrency: int = 1  # Envoy worker threads
    run_time_limit: float | None = None  # h2load is killed after this; None: from the run's bound

    def __post_init__(self) -> None:
        if isinstance(self.protocols, str):
            object.__setattr__(self, "protocols", (self.protocols,))
        unknown = [p for p in self.protocols if p not in PROTOCOLS]
        if not self.protocols or unknown:
            raise BenchOptionError(
                f"protocol: {', '.join(unknown) or 'none given'}; choose from {', '.join(PROTOCOLS)}"
            )
        if self.requests is not None and self.duration is not None:
            raise BenchOptionError("requests and duration: give one bound per run, not both")
        for name, (low, high) in _BOUNDS.items():
            value = getattr(self, name.replace("-", "_"))
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise BenchOptionError(f"{name}: {value!r} is not a number")
            if not low <= value <= high:
                raise BenchOptionError(
                    f"{name}: {_number(value)} is out of range ({_number(low)} to {_number(high)})"
                )
        if self.threads > self.connections:
            raise BenchOptionError(f"threads: {self.threads} is more than the {self.connections} connections")
        if self.requests is not None and self.requests < self.connections:
            raise BenchOptionError(
                f"requests: {self.requests} is fewer than the {self.connections} connections"
            )

    @property
    def run_duration(self) -> float | None:
        """Seconds per run, or None when runs are bounded by a request count."""
        if self.requests is not None:
            return None
        return self.duration if self.duration is not None else DEFAULT_DURATION

    def streams_for(self, protocol: str) -> int:
        return self.streams if self.streams is not None else STREAMS_BY_PROTOCOL[protocol]

    @property
    def time_limit(self) -> float:
        if self.run_time_limit is not None:
            return self.run_time_limit
        duration = self.run_duration
        return COUNT_TIME_LIMIT if duration is None else duration + TIME_LIMIT_MARGIN

    def to_dict(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "protocols": list(self.protocols),
            "duration": self.run_duration,
            "streams": {p: self.streams_for(p) for p in self.protocols},
            "run_time_limit": self.time_limit,
        }
