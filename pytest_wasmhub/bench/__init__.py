"""The module cost benchmark: load through Envoy with and without a module, compared (no pytest)."""

from __future__ import annotations

from .loadgen import PROTOCOLS, LoadGeneratorError, LoadRun, LoadSpec, find_h2load, run_load
from .measure import BenchError, measure
from .options import BenchOptionError, BenchOptions
from .report import render_text, write_json
from .results import BenchResult, ProtocolResult, SideSummary

__all__ = [
    "PROTOCOLS",
    "BenchError",
    "BenchOptionError",
    "BenchOptions",
    "BenchResult",
    "LoadGeneratorError",
    "LoadRun",
    "LoadSpec",
    "ProtocolResult",
    "SideSummary",
    "find_h2load",
    "measure",
    "render_text",
    "run_load",
    "write_json",
]
