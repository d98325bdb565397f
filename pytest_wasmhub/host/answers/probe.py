"""The answers probe: one generated module that makes each measured host call, with each argument class,
in each callback phase, and reports every status it got.

Statuses are reported as one character per probe (``0``-``f`` the code, ``z`` a larger one, ``-`` not
run): the root phases and the request phases in response headers ``x-answers-PHASE``, the phases after
the response headers went out in a log line ``x-answers-PHASE=...``. The same module runs in Envoy and
in the in-process host, so both are measured the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...abi import host_profile, marker_name
from .. import pairs

# phases, in the order the probe runs them; the root ones run in the root context
ROOT_PHASES = ("configure", "http_call_response")
HEADER_PHASES = ("configure", "http_call_response", "request_headers", "request_body", "response_headers")
LOG_PHASES = ("response_body", "log")
PHASES = (*HEADER_PHASES[:2], "request_headers", "request_body", "response_headers", *LOG_PHASES)

_SCRATCH = 64  # out-parameters: pointer at 64, size at 68
_U32_OUT = 72
_METRIC_IDS = 80  # counter, gauge, histogram ids
_QUEUE_TOKEN = 96
_HEX = 32  # "0123456789abcdef"
_RESULTS = 4096  # one region per phase
_REGION = 256
_DATA = 512  # strings
_HEAP = 65536


@dataclass(frozen=True)
class Probe:
    """One host call: ``args`` are WAT expressions; a ``bytes`` item becomes two (pointer, length)."""

    function: str
    argument_class: str
    variant: str
    args: tuple[str | int | bytes, ...]


def _metric(kind: int) -> str:
    return f"(i32.load (i32.const {_METRIC_IDS + 4 * kind}))"


_QUEUE = f"(i32.load (i32.const {_QUEUE_TOKEN}))"
_OUT = (_SCRATCH, _SCRATCH + 4)
_CALL_HEADERS = pairs.encode([(b":method", b"GET"), (b":path", b"/answers"), (b":authority", b"upstream")])


def grpc_service(cluster: bytes) -> bytes:
    """A serialized ``envoy.config.core.v3.GrpcService`` naming an Envoy cluster (``envoy_grpc``)."""
    inner = b"\x0a" + bytes([len(cluster)]) + cluster
    return b"\x0a" + bytes([len(inner)]) + inner


# bare names that are no GrpcService message (Envoy takes them as a cluster's name: the Rust SDK's way),
# and GrpcService messages naming clusters
_GRPC_SERVICES = (
    ("unparsable service", b"nowhere"),
    ("cluster name", b"upstream"),
    ("unknown cluster", grpc_service(b"nowhere")),
    ("known cluster", grpc_service(b"upstream")),
)
MAP_VALUED = ("request", "source", "destination", "connection", "upstream", "response", "node", "metadata")


def probes(phase: str) -> tuple[Probe, ...]:
    """The calls of one phase, in order (later calls use ids the earlier ones got)."""
    key = f"answers-{phase}".encode()
    own, root = "(global.get $context)", "(global.get $root)"
    calls = [
        # header maps: 0/1 request headers/trailers, 2/3 response, 4/5 gRPC metadata, 6/7 callout response
        *(
            Probe("proxy_get_header_map_value", f"map {m}", variant, (m, name, *_OUT))
            for m in range(8)
            for variant, name in (
                ("present key", b":path" if m == 0 else b":status"),
                ("missing key", b"x-no"),
            )
        ),
        Probe("proxy_get_header_map_value", "unknown map type", "", (99, b"x-no", *_OUT)),
        *(Probe("proxy_get_header_map_pairs", f"map {m}", "", (m, *_OUT)) for m in range(8)),
        *(Probe("proxy_get_header_map_size", f"map {m}", "", (m, _U32_OUT)) for m in (0, 2)),
        *(
            Probe("proxy_add_header_map_value", f"map {m}", "", (m, b"x-answers-add", b"1"))
            for m in (0, 1, 2)
        ),
        *(
            Probe("proxy_replace_header_map_value", f"map {m}", "", (m, b"x-answers-add", b"2"))
            for m in (0, 2)
        ),
        *(Probe("proxy_remove_header_map_value", f"map {m}", "", (m, b"x-answers-add")) for m in (0, 2)),
        # properties: a leaf, a missing leaf, an unknown name, and the map-valued attributes
        Probe("proxy_get_property", "leaf", "request.path", (b"request\0path", *_OUT)),
        Probe("proxy_get_property", "leaf", "plugin_name", (b"plugin_name", *_OUT)),
        Probe("proxy_get_property", "leaf", "missing header", (b"request\0headers\0x-no", *_OUT)),
        Probe("proxy_get_property", "leaf", "unknown name", (b"answers_unknown", *_OUT)),
        Probe("proxy_get_property", "leaf", "filter metadata", (b"metadata\0filter_metadata\0x", *_OUT)),
        *(
            Probe("proxy_get_property", f"attribute {name}", "", (name.encode(), *_OUT))
            for name in MAP_VALUED
        ),
        Probe("proxy_set_property", "any path", "", (key, b"v")),
        # contexts
        Probe("proxy_set_effective_context", "own context", "", (own,)),
        Probe("proxy_set_effective_context", "root context", "", (root,)),
        Probe("proxy_set_effective_context", "unknown id", "", (9999,)),
        Probe("proxy_set_effective_context", "own context", "", (own,)),  # back to itself
        # callouts: a configured cluster and an unknown one
        Probe(
            "proxy_http_call", "unknown cluster", "", (b"nowhere", _CALL_HEADERS, b"", b"", 5000, _U32_OUT)
        ),
        Probe("proxy_http_call", "known cluster", "", (b"upstream", _CALL_HEADERS, b"", b"", 5000, _U32_OUT)),
        *(
            Probe("proxy_grpc_call", klass, "", (service, b"svc.Answers", b"Ask", b"", b"", 5000, _U32_OUT))
            for klass, service in _GRPC_SERVICES
        ),
        *(
            Probe("proxy_grpc_stream", klass, "", (service, b"svc.Answers", b"Ask", b"", _U32_OUT))
            for klass, service in _GRPC_SERVICES
        ),
        Probe("proxy_grpc_cancel", "unknown token", "", (9999,)),
        Probe("proxy_grpc_close", "unknown token", "", (9999,)),
        Probe("proxy_grpc_send", "unknown token", "", (9999, b"x", 0)),
        # shared data
        Probe("proxy_get_shared_data", "any key", "missing", (key + b"-absent", *_OUT, _U32_OUT)),
        Probe("proxy_set_shared_data", "any key", "cas 0", (key, b"v", 0)),
        Probe("proxy_set_shared_data", "any key", "stale cas", (key, b"v", 123456)),
        Probe("proxy_get_shared_data", "any key", "present", (key, *_OUT, _U32_OUT)),
        # queues
        Probe("proxy_register_shared_queue", "any name", "", (key, _QUEUE_TOKEN)),
        Probe("proxy_dequeue_shared_queue", "registered queue", "empty", (_QUEUE, *_OUT)),
        Probe("proxy_enqueue_shared_queue", "registered queue", "", (_QUEUE, b"item")),
        Probe("proxy_dequeue_shared_queue", "registered queue", "not empty", (_QUEUE, *_OUT)),
        Probe("proxy_dequeue_shared_queue", "unknown token", "", (987654, *_OUT)),
        Probe("proxy_enqueue_shared_queue", "unknown token", "", (987654, b"item")),
        Probe("proxy_resolve_shared_queue", "any name", "registered", (b"", key, _U32_OUT)),
        Probe("proxy_resolve_shared_queue", "any name", "unknown", (b"", key + b"-absent", _U32_OUT)),
        # metrics
        *(
            Probe("proxy_define_metric", "known type", "", (kind, key + b"-" + name, _METRIC_IDS + 4 * kind))
            for kind, name in ((0, b"counter"), (1, b"gauge"), (2, b"histogram"))
        ),
        Probe("proxy_define_metric", "unknown type", "", (9, key + b"-bad", _U32_OUT)),
        Probe("proxy_increment_metric", "counter", "", (_metric(0), "(i64.const 1)")),
        Probe("proxy_increment_metric", "counter, negative delta", "", (_metric(0), "(i64.const -1)")),
        Probe("proxy_increment_metric", "gauge", "", (_metric(1), "(i64.const -1)")),
        Probe("proxy_increment_metric", "histogram", "", (_metric(2), "(i64.const 1)")),
        Probe("proxy_increment_metric", "unknown id", "", (424242, "(i64.const 1)")),
        *(
            Probe("proxy_record_metric", kind, "", (_metric(i), "(i64.const 5)"))
            for i, kind in enumerate(("counter", "gauge", "histogram"))
        ),
        Probe("proxy_record_metric", "unknown id", "", (424242, "(i64.const 1)")),
        *(
            Probe("proxy_get_metric", kind, "", (_metric(i), _SCRATCH))
            for i, kind in enumerate(("counter", "gauge", "histogram"))
        ),
        Probe("proxy_get_metric", "unknown id", "", (424242, _SCRATCH)),
        # buffers: 0 request body ... 7 plugin configuration
        *(Probe("proxy_get_buffer_bytes", f"buffer {b}", "", (b, 0, 64, *_OUT)) for b in range(9)),
        Probe("proxy_get_buffer_bytes", "unknown buffer type", "", (99, 0, 64, *_OUT)),
        *(
            Probe("proxy_get_buffer_status", f"buffer {b}", "", (b, _SCRATCH, _SCRATCH + 4))
            for b in (0, 1, 4, 6, 7)
        ),
        *(Probe("proxy_set_buffer_bytes", f"buffer {b}", "", (b, 0, 0, b"")) for b in (0, 1, 4)),
        # odds and ends
        Probe("proxy_set_tick_period_milliseconds", "any period", "", (0,)),
        Probe("proxy_call_foreign_function", "unknown name", "", (b"answers_unknown", b"", *_OUT)),
        Probe("proxy_done", "any", "", ()),
        Probe("proxy_log", "known level", "", (2, b"answers")),
        Probe("proxy_log", "unknown level", "", (99, b"answers")),
        Probe("proxy_get_log_level", "any", "", (_U32_OUT,)),
        Probe("proxy_get_current_time_nanoseconds", "any", "", (_SCRATCH,)),
        Probe("proxy_get_status", "any", "", (_U32_OUT, *_OUT)),
        Probe("proxy_get_configuration", "any", "", _OUT),  # ABI 0.1.0
        Probe("proxy_clear_route_cache", "any", "", ()),  # ABI 0.1.0
    ]
    return tuple(calls)


def probe_names(abi_version: str) -> set[str]:
    table = host_profile("envoy").imports(abi_version)
    return {name for (module, name) in table if module == "env"}


def measured_probes(abi_version: str, phase: str) -> tuple[Probe, ...]:
    """The probes of a phase whose function the ABI version has."""
    names = probe_names(abi_version)
    return tuple(p for p in probes(phase) if p.function in names)


class _Strings:
    def __init__(self) -> None:
        self.offset, self.data = _DATA, bytearray()
        self.places: dict[bytes, int] = {}

    def place(self, value: bytes) -> tuple[int, int]:
        if value not in self.places:
            self.places[value] = _DATA + len(self.data)
            self.data += value + b"\0"
        return self.places[value], len(value)

    def wat(self) -> str:
        escaped = "".join(f"\\{b:02x}" for b in self.data)
        return f'(data (i32.const {_DATA}) "{escaped}")'


def _expressions(probe: Probe, strings: _Strings, params: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for arg in probe.args:
        if isinstance(arg, bytes):
            ptr, size = strings.place(arg)
            out += [f"(i32.const {ptr})", f"(i32.const {size})"]
        elif isinstance(arg, int):
            out.append(f"(i32.const {arg})")
        else:
            out.append(arg)
    if len(out) != len(params):
        raise ValueError(
            f"probe {probe.function} ({probe.argument_class}): {len(out)} args, ABI {len(params)}"
        )
    return out


def _phase_function(phase: str, abi_version: str, strings: _Strings) -> str:
    table = host_profile("envoy").imports(abi_version)
    body = []
    for index, probe in enumerate(measured_probes(abi_version, phase)):
        params = table[("env", probe.function)].params
        call = f"(call ${probe.function} {' '.join(_expressions(probe, strings, params))})"
        body.append(f"    (call $put (i32.const {_slot(phase, index)}) {call})")
    return f"  (func $run_{phase}\n" + "\n".join(body) + ")"


def _slot(phase: str, index: int) -> int:
    return _RESULTS + PHASES.index(phase) * _REGION + index


def _report_header(phase: str, abi_version: str, strings: _Strings) -> str:
    name_ptr, name_size = strings.place(f"x-answers-{phase}".encode())
    count = len(measured_probes(abi_version, phase))
    return (
        f"    (drop (call $proxy_add_header_map_value (i32.const 2) (i32.const {name_ptr}) "
        f"(i32.const {name_size}) (i32.const {_slot(phase, 0)}) (i32.const {count})))"
    )


def _report_log(phase: str, abi_version: str, strings: _Strings) -> str:
    prefix = f"x-answers-{phase}=".encode()
    count = len(measured_probes(abi_version, phase))
    start = _slot(phase, 0) - len(prefix)  # the prefix sits just before the region (the gap is free)
    return (
        f"    (memory.copy (i32.const {start}) (i32.const {strings.place(prefix)[0]}) (i32.const {len(prefix)}))\n"
        f"    (drop (call $proxy_log (i32.const 2) (i32.const {start}) (i32.const {len(prefix) + count})))"
    )


def probe_wat(abi_version: str) -> str:
    """The probe module for one ABI version."""
    table = host_profile("envoy").imports(abi_version)
    strings = _Strings()
    strings.place(b"")
    phases = "\n".join(_phase_function(phase, abi_version, strings) for phase in PHASES)
    used = sorted(
        {p.function for phase in PHASES for p in measured_probes(abi_version, phase)} | {"proxy_log"}
    )
    imports = "\n".join(
        f'  (import "env" "{name}" (func ${name} {_signature(table[("env", name)])}))'
        for name in (
            *used,
            *(["proxy_add_header_map_value"] if "proxy_add_header_map_value" not in used else []),
        )
    )
    eos = " i32" if abi_version != "0.1.0" else ""
    reports = "\n".join(_report_header(p, abi_version, strings) for p in HEADER_PHASES)
    logs = "\n".join(_report_log(p, abi_version, strings) for p in LOG_PHASES)
    return f"""(module
{imports}
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const {_HEAP}))
  (global $context (mut i32) (i32.const 0))
  (global $root (mut i32) (i32.const 0))
  (global $answered (mut i32) (i32.const 0))
  (data (i32.const {_HEX}) "0123456789abcdef")
  (data (i32.const {_RESULTS}) "{"-" * (_REGION * len(PHASES))}")
  {strings.wat()}
  (func (export "{marker_name(abi_version)}"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $size)) (i32.const 15))
                               (i32.const -16)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))))))
    (local.get $at))
  (func $put (param $slot i32) (param $status i32)
    (i32.store8 (local.get $slot)
      (if (result i32) (i32.lt_u (local.get $status) (i32.const 16))
        (then (i32.load8_u (i32.add (i32.const {_HEX}) (local.get $status))))
        (else (i32.const 122)))))
{phases}
  (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
    (if (i32.eqz (local.get $parent)) (then (global.set $root (local.get $id)))))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $id i32) (param i32) (result i32)
    (global.set $context (local.get $id))
    (call $run_configure)
    (i32.const 1))
  (func (export "proxy_on_http_call_response") (param $id i32) (param i32 i32 i32 i32)
    (if (i32.and (i32.eq (local.get $id) (global.get $root)) (i32.eqz (global.get $answered)))
      (then (global.set $answered (i32.const 1))
            (global.set $context (local.get $id))
            (call $run_http_call_response))))
  (func (export "proxy_on_request_headers") (param $id i32) (param i32{eos}) (result i32)
    (global.set $context (local.get $id))
    (call $run_request_headers)
    (i32.const 0))
  (func (export "proxy_on_request_body") (param $id i32) (param i32 i32) (result i32)
    (global.set $context (local.get $id))
    (call $run_request_body)
    (i32.const 0))
  (func (export "proxy_on_response_headers") (param $id i32) (param i32{eos}) (result i32)
    (global.set $context (local.get $id))
    (call $run_response_headers)
{reports}
    (i32.const 0))
  (func (export "proxy_on_response_body") (param $id i32) (param i32 i32) (result i32)
    (global.set $context (local.get $id))
    (call $run_response_body)
    (i32.const 0))
  (func (export "proxy_on_log") (param $id i32)
    (global.set $context (local.get $id))
    (call $run_log)
{logs}))
"""


def _signature(signature) -> str:
    params = f"(param {' '.join(signature.params)})" if signature.params else ""
    results = f"(result {' '.join(signature.results)})" if signature.results else ""
    return f"{params} {results}".strip()
