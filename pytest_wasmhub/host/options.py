"""Everything a host can be configured with, and the defaults (Envoy's where Envoy has one)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .clock import ManualClock
from .errors import HostError
from .grpc import GrpcCall, GrpcReply
from .messages import HttpCall, Response, UpstreamRequest
from .policy import DEFAULT_RELOAD_BACKOFF_MS, FailurePolicy
from .shared import SharedData, SharedQueues
from .vm import ENVOY_MEMORY_LIMIT

# per_connection_buffer_limit_bytes left at Envoy's default: 1 MiB buffered passes, 1 MiB + 1 does not
ENVOY_BUFFER_LIMIT = 1 << 20
DEFAULT_FUEL = 1_000_000_000  # about a second of guest code; Envoy itself has no limit
Upstream = Response | Callable[[UpstreamRequest], Response] | None


@dataclass
class HostOptions:
    abi_version: str | None = None  # None: the module's own version marker
    profile: str = "envoy"  # host profile from the ABI model: imports, start-up rules, callback order
    plugin_name: str = "wasmhub"
    root_id: str = ""
    vm_id: str = ""
    plugin_configuration: bytes | str = b""
    vm_configuration: bytes | str = b""
    failure_policy: FailurePolicy | str | None = None  # None: FAIL_CLOSED, Envoy's default
    reload_backoff_ms: float = DEFAULT_RELOAD_BACKOFF_MS
    fuel_per_callback: int | None = DEFAULT_FUEL  # CPU budget per callback; None: unlimited
    memory_limit_bytes: int = ENVOY_MEMORY_LIMIT
    log_level: str | int = "INFO"  # what proxy_get_log_level answers (Envoy's default level is info)
    environment: Mapping[str, str] = field(
        default_factory=dict
    )  # WASI environ (VmConfig.environment_variables)
    properties: Mapping[Any, Any] = field(default_factory=dict)  # {"node.id": "n1", ...}, added to Envoy's
    standard_properties: bool = True  # False: only ``properties`` exist (every other lookup is NOT_FOUND)
    clusters: Collection[str] | None = None  # upstreams proxy_http_call accepts; None: any name
    http_call_handler: Callable[[HttpCall], Response | None] | None = None  # None: the test answers
    grpc_call_handler: Callable[[GrpcCall], GrpcReply | None] | None = None  # None: the test answers
    upstream: Upstream = None  # the default upstream for http_request (None: 200, empty body)
    foreign_functions: Mapping[str, Callable[[bytes], bytes]] = field(default_factory=dict)
    response_chunk_size: int | None = None  # split upstream response bodies into chunks of this size
    buffer_limit_bytes: int = ENVOY_BUFFER_LIMIT  # what a filter may buffer (Envoy's connection buffer limit)
    clock: ManualClock | None = None
    shared_data: SharedData | None = None  # share with another host to play two VMs of one proxy
    shared_queues: SharedQueues | None = None
    trace_limit: int | None = 100_000  # keep at most this many recorded calls
    downstream_address: tuple[str, int] = ("127.0.0.1", 46000)
    listener_address: tuple[str, int] = ("127.0.0.1", 10000)

    @classmethod
    def build(cls, base: HostOptions | None, overrides: Mapping[str, Any]) -> HostOptions:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise HostError(f"unknown host option {unknown[0]!r}; known: {', '.join(sorted(known))}")
        values = {f.name: getattr(base, f.name) for f in fields(cls)} if base else {}
        values.update(overrides)
        return cls(**values)
