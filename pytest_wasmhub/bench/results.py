"""A benchmark's outcome: per protocol, the medians of each side and the paired comparison.

Rounds are paired (one run with the module, one without, back to back), so the ratio and the cost are
the medians of the per-round values: a slow spell of the machine hits both runs of a round alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any

from .loadgen import PROTOCOL_NAMES, LoadRun
from .options import BenchOptions

PERCENTILES = ("p50", "p90", "p99")


def _median(values: list[float]) -> float:
    return float(median(values)) if values else 0.0


@dataclass(frozen=True)
class SideSummary:
    """One listener (with or without the module) over the measured rounds."""

    runs: tuple[LoadRun, ...]
    envoy_concurrency: int

    @property
    def requests_per_second(self) -> float:
        return _median([run.requests_per_second for run in self.runs])

    def latency_us(self, name: str) -> float:
        """Median over the rounds of one request-time percentile (``p50``, ``p90``, ``p99``)."""
        return _median([getattr(run.latency, name) for run in self.runs])

    @property
    def worker_us_per_request(self) -> float:
        """Envoy worker time per request when the workers are the bottleneck: workers / throughput."""
        rps = self.requests_per_second
        return self.envoy_concurrency * 1e6 / rps if rps else 0.0

    @property
    def total(self) -> int:
        return sum(run.total for run in self.runs)

    @property
    def failed(self) -> int:
        """Requests h2load counts as failed: no response, or a 4xx/5xx one."""
        return sum(run.failed for run in self.runs)

    @property
    def non_2xx(self) -> int:
        return sum(run.non_2xx for run in self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests_per_second": self.requests_per_second,
            **{f"{name}_us": self.latency_us(name) for name in PERCENTILES},
            "worker_us_per_request": self.worker_us_per_request,
            "total": self.total,
            "failed": self.failed,
            "non_2xx": self.non_2xx,
            "runs": [run.to_dict() for run in self.runs],
        }


@dataclass(frozen=True)
class ProtocolResult:
    protocol: str  # "h1" or "h2"
    with_module: SideSummary
    without_module: SideSummary

    @property
    def name(self) -> str:
        return PROTOCOL_NAMES[self.protocol]

    @property
    def rounds(self) -> list[tuple[LoadRun, LoadRun]]:
        return list(zip(self.with_module.runs, self.without_module.runs, strict=True))

    @property
    def rps_ratios(self) -> list[float]:
        """Per round: throughput with the module / without it (1.0: free; 0.5: halves it)."""
        return [
            with_.requests_per_second / without.requests_per_second if without.requests_per_second else 0.0
            for with_, without in self.rounds
        ]

    @property
    def rps_ratio(self) -> float:
        return _median(self.rps_ratios)

    @property
    def cost_us_per_request(self) -> float:
        """Median per round of the extra Envoy worker time per request the module takes."""
        workers = self.with_module.envoy_concurrency
        return _median(
            [
                workers * 1e6 * (1 / with_.requests_per_second - 1 / without.requests_per_second)
                for with_, without in self.rounds
                if with_.requests_per_second and without.requests_per_second
            ]
        )

    def latency_delta_us(self, name: str) -> float:
        """Median per round of (with - without) for one percentile."""
        return _median([getattr(w.latency, name) - getattr(wo.latency, name) for w, wo in self.rounds])

    def to_dict(self) -> dict[str, Any]:
        ratios = self.rps_ratios
        return {
            "protocol": self.name,
            "with_module": self.with_module.to_dict(),
            "without_module": self.without_module.to_dict(),
            "rps_ratio": self.rps_ratio,
            "rps_ratio_min": min(ratios, default=0.0),
            "rps_ratio_max": max(ratios, default=0.0),
            "cost_us_per_request": self.cost_us_per_request,
            **{f"{name}_delta_us": self.latency_delta_us(name) for name in PERCENTILES},
        }


@dataclass(frozen=True)
class BenchResult:
    module: str  # as the user named it
    module_sha256: str
    envoy_version: str
    options: BenchOptions
    protocols: tuple[ProtocolResult, ...]

    def protocol(self, protocol: str) -> ProtocolResult:
        """The result for ``h1`` or ``h2``."""
        for result in self.protocols:
            if result.protocol == protocol:
                return result
        raise KeyError(f"{protocol} was not measured (measured: {[p.protocol for p in self.protocols]})")

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "module_sha256": self.module_sha256,
            "envoy_version": self.envoy_version,
            "options": self.options.to_dict(),
            "protocols": {result.protocol: result.to_dict() for result in self.protocols},
        }
