"""A benchmark result for people (a text table) and for programs (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from .results import PERCENTILES, BenchResult, ProtocolResult, SideSummary


def _ms(us: float) -> str:
    return f"{us / 1000:.2f} ms"


def _delta_ms(us: float) -> str:
    return f"{us / 1000:+.2f} ms"


def _side_row(label: str, side: SideSummary) -> str:
    latencies = "".join(f"{_ms(side.latency_us(name)):>11}" for name in PERCENTILES)
    return f"  {label:<16}{side.requests_per_second:>10,.0f}{latencies}{side.worker_us_per_request:>14,.1f}"


def _cost_sentence(cost_us: float) -> str:
    if cost_us <= 0:
        return f"no cost measurable above this run's noise ({cost_us:+,.1f} us per request)"
    return f"the module costs ~{cost_us:,.1f} us of Envoy worker time per request"


def _protocol_lines(result: ProtocolResult) -> list[str]:
    ratios = result.rps_ratios
    deltas = "".join(f"{_delta_ms(result.latency_delta_us(name)):>11}" for name in PERCENTILES)
    lines = [
        f"{result.name:<18}{'req/s':>10}"
        + "".join(f"{name:>11}" for name in PERCENTILES)
        + f"{'worker us/req':>14}",
        _side_row("without module", result.without_module),
        _side_row("with module", result.with_module),
        f"  {'difference':<16}{result.rps_ratio:>9.3f}x{deltas}{result.cost_us_per_request:>+14,.1f}",
        f"  throughput with the module: {result.rps_ratio:.1%} of without "
        f"(rounds {min(ratios):.1%} to {max(ratios):.1%}); {_cost_sentence(result.cost_us_per_request)}",
    ]
    for label, side in (("with", result.with_module), ("without", result.without_module)):
        if side.failed or side.non_2xx:
            lines.append(
                f"  warning: {label} the module, {side.failed:,} of {side.total:,} requests failed and "
                f"{side.non_2xx:,} responses were not 2xx; the figures above include them"
            )
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def render_text(result: BenchResult) -> str:
    options = result.options
    bound = (
        f"{options.requests:,} requests" if options.requests is not None else f"{options.run_duration:g} s"
    )
    streams = ", ".join(f"{p}: {options.streams_for(p)}" for p in options.protocols)
    lines = [
        f"wasmhub bench: {result.module} (sha256 {result.module_sha256[:12]}) "
        f"in Envoy {result.envoy_version}",
        f"  {_count(options.rounds, 'round')} x {bound} per side (+{options.warmup_rounds} warm-up), "
        f"{_count(options.connections, 'connection')}, streams per connection {streams}, "
        f"request body {options.body_size:,} bytes, {_count(options.envoy_concurrency, 'Envoy worker')}; "
        f"medians over the rounds",
        "",
    ]
    for protocol in result.protocols:
        lines.extend(_protocol_lines(protocol))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_json(result: BenchResult, path: Path) -> None:
    Path(path).write_text(json.dumps(result.to_dict(), indent=2) + "\n")
