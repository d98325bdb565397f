"""An in-process proxy-wasm host on wasmtime that behaves like Envoy's (ABI 0.1.0, 0.2.0, 0.2.1).

A library without pytest: ``ProxyWasmHost`` loads a module, starts it as Envoy does, runs HTTP streams
through it, and records every call across the boundary. The pytest fixtures live in
``pytest_wasmhub.fixtures.host``.
"""

from __future__ import annotations

from .clock import ManualClock
from .errors import GuestFailure, HostError, HostLimitation, ModuleLoadError, ProxyCrashError, StartError
from .host import Problem, ProxyWasmHost
from .messages import HeaderMap, HttpCall, LocalResponse, Response, StreamResult, UpstreamRequest
from .options import DEFAULT_FUEL, HostOptions
from .policy import FailurePolicy
from .shared import SharedData, SharedQueues
from .trace import CallRecord, Trace

__all__ = [
    "DEFAULT_FUEL",
    "CallRecord",
    "FailurePolicy",
    "GuestFailure",
    "HeaderMap",
    "HostError",
    "HostLimitation",
    "HostOptions",
    "HttpCall",
    "LocalResponse",
    "ManualClock",
    "ModuleLoadError",
    "Problem",
    "ProxyCrashError",
    "ProxyWasmHost",
    "Response",
    "SharedData",
    "SharedQueues",
    "StartError",
    "StreamResult",
    "Trace",
    "UpstreamRequest",
]
