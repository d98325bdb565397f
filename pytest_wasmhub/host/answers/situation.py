"""The situation of one host call, in the terms of Envoy's answers table: its argument class (from the
arguments, read as the probe's classes are defined), its ABI version and its callback phase. The status
sweep injects a status into a call only where the table says Envoy can answer it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..codes import status_name
from ..contexts import RootContext
from ..grpc import GrpcServiceError, cluster_of
from .probe import MAP_VALUED
from .table import envoy_answers, phase_of

if TYPE_CHECKING:
    from ..host import ProxyWasmHost
    from ..memory import Storelike

_MAX_MAP, _MAX_BUFFER, _MAX_LEVEL = 7, 8, 5
_MAP_FUNCTIONS = frozenset(
    f"proxy_{verb}_header_map_{what}"
    for verb, what in (("get", "value"), ("get", "pairs"), ("set", "pairs"), ("get", "size"),
                       ("add", "value"), ("replace", "value"), ("remove", "value"))
)  # fmt: skip
_BUFFER_FUNCTIONS = frozenset(("proxy_get_buffer_bytes", "proxy_get_buffer_status", "proxy_set_buffer_bytes"))
_ANY = {
    "proxy_set_property": "any path",
    "proxy_get_shared_data": "any key",
    "proxy_set_shared_data": "any key",
    "proxy_register_shared_queue": "any name",
    "proxy_resolve_shared_queue": "any name",
    "proxy_set_tick_period_milliseconds": "any period",
    "proxy_done": "any",
    "proxy_get_log_level": "any",
    "proxy_get_current_time_nanoseconds": "any",
    "proxy_get_status": "any",
    "proxy_get_configuration": "any",
    "proxy_clear_route_cache": "any",
}
_METRIC_KINDS = ("counter", "gauge", "histogram")


def argument_class(host: ProxyWasmHost, store: Storelike, function: str, args: tuple[int, ...]) -> str | None:
    """The probe's argument class of this call, or None when the probe has no such class."""
    if function in _ANY:
        return _ANY[function]
    if function in _MAP_FUNCTIONS:
        return f"map {args[0]}" if args[0] <= _MAX_MAP else "unknown map type"
    if function in _BUFFER_FUNCTIONS:
        return f"buffer {args[0]}" if args[0] <= _MAX_BUFFER else "unknown buffer type"
    read = host.vm.memory.read
    if function == "proxy_get_property":
        path = read(store, args[0], args[1]).rstrip(b"\0").decode("utf-8", "replace")
        return f"attribute {path}" if path in MAP_VALUED else "leaf"
    if function == "proxy_set_effective_context":
        context = host.contexts.get(args[0])
        if context is None:
            return "unknown id"
        return "root context" if isinstance(context, RootContext) else "own context"
    if function == "proxy_http_call":
        cluster = read(store, args[0], args[1]).decode("utf-8", "replace")
        return (
            "unknown cluster"
            if host.clusters is not None and cluster not in host.clusters
            else "known cluster"
        )
    if function in ("proxy_grpc_call", "proxy_grpc_stream"):
        return _grpc_service_class(host, read(store, args[0], args[1]))
    if function in ("proxy_enqueue_shared_queue", "proxy_dequeue_shared_queue"):
        return "registered queue" if host.shared_queues.exists(args[0]) else "unknown token"
    if function == "proxy_define_metric":
        return "known type" if args[0] < len(_METRIC_KINDS) else "unknown type"
    if function in ("proxy_increment_metric", "proxy_record_metric", "proxy_get_metric"):
        metric = host.metrics.lookup(args[0])
        if metric is None:
            return "unknown id"
        if function == "proxy_increment_metric" and metric.type == "counter" and args[1] >= 1 << 63:
            return "counter, negative delta"
        return metric.type
    if function == "proxy_log":
        return "known level" if args[0] <= _MAX_LEVEL else "unknown level"
    if function == "proxy_call_foreign_function":
        name = read(store, args[0], args[1]).decode("utf-8", "replace")
        return None if name in host.foreign_functions else "unknown name"
    return None


def _grpc_service_class(host: ProxyWasmHost, service: bytes) -> str | None:
    known = host.clusters
    try:
        cluster = cluster_of(service)
    except GrpcServiceError:
        name = service.decode("utf-8", "replace")
        return "cluster name" if known is None or name in known else "unparsable service"
    if cluster is None:
        return None  # a Google gRPC service: not measured
    return "unknown cluster" if known is not None and cluster not in known else "known cluster"


def envoy_can_return(
    host: ProxyWasmHost, store: Storelike, function: str, args: tuple[int, ...], status: int
) -> bool:
    """Whether Envoy answers ``status`` to this call, in this callback, for some traffic or state."""
    phase = phase_of(host.current_callback, isinstance(host.context_for_call(), RootContext))
    if phase is None:
        return False
    try:
        klass = argument_class(host, store, function, args)
    except Exception:
        return False
    if klass is None:
        return False
    possible = envoy_answers().possible(function, klass, host.abi_version, phase)
    return possible is not None and status_name(status) in possible
