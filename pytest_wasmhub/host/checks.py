"""The dynamic ABI checks the conformance suite runs in the host: standard and hostile traffic, a
sweep of host-call statuses, restricted calls, a memory-growth check and the CPU budget. Library code
without pytest: each check returns what it saw, the cases decide and word the verdict."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..abi.checks.exports import HTTP_CALLBACKS
from .answers.table import envoy_answers
from .codes import Status, status_name
from .contexts import RootContext
from .errors import GuestFailure
from .grpc_upstream import http_upstream_answer
from .host import ProxyWasmHost
from .messages import HttpCall, Response, StreamResult, UpstreamRequest
from .trace import HOST

CONFORMANCE_FUEL = 300_000_000  # instructions per callback: a few hundred ms of guest code


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str | bytes, str | bytes], ...] = ()
    body: tuple[bytes, ...] = ()
    trailers: tuple[tuple[str, str], ...] | None = None
    note: str = ""
    options: tuple[tuple[str, Any], ...] = ()  # host options this request needs (e.g. no properties)


STANDARD_TRAFFIC = (
    Request("GET", "/conformance/host/get", (("accept", "*/*"), ("user-agent", "wasmhub")), note="a GET"),
    Request(
        "POST",
        "/conformance/host/post?id=7",
        (("content-type", "application/json"),),
        (b'{"id":', b" 7}"),
        note="a POST with a body in two chunks",
    ),
    Request(
        "PUT",
        "/conformance/host/trailers",
        (("content-type", "text/plain"), ("te", "trailers")),
        (b"part-1;", b"part-2"),
        (("x-checksum", "c0ffee"),),
        note="a PUT with a body and trailers",
    ),
)


def echo_upstream(request: UpstreamRequest) -> Response:
    """A backend that answers 200 with the request body, as the suite's real upstream does."""
    return Response(200, {"content-type": "text/plain; charset=utf-8"}, request.body)


def answer_callout(call: HttpCall) -> Response:
    return Response(200, {"content-type": "text/plain"}, b"")


def conformance_host(module: Any, **options: Any) -> ProxyWasmHost:
    """A started host for the suite: callouts answered 200 (gRPC calls as Envoy answers them through the
    HTTP upstream), requests echoed, the suite's CPU budget."""
    settings: dict[str, Any] = {
        "http_call_handler": answer_callout,
        "grpc_call_handler": http_upstream_answer,
        "upstream": echo_upstream,
        "fuel_per_callback": CONFORMANCE_FUEL,
    }
    settings.update(options)
    return ProxyWasmHost(module, **settings).start()


def send(host: ProxyWasmHost, request: Request, **kwargs: Any) -> StreamResult:
    """Send one request, then let the root's next timer fire, as Envoy's does between requests."""
    result = host.http_request(
        request.method, request.path, list(request.headers), list(request.body), request.trailers, **kwargs
    )
    run_next_tick(host)
    return result


def run_next_tick(host: ProxyWasmHost) -> None:
    """Move the clock to the earliest timer a root context set (``proxy_on_tick`` runs), if any."""
    due = [
        c.next_tick_ms
        for c in host.contexts.values()
        if isinstance(c, RootContext) and c.next_tick_ms is not None
    ]
    if due and host.vm_failure is None:
        host.advance_time(max(0.0, min(due) - host.clock.monotonic_ms))


def run_traffic(host: ProxyWasmHost, requests: Iterable[Request] = STANDARD_TRAFFIC) -> list[StreamResult]:
    """Send each request; stop early once the VM has failed (every later stream would be refused)."""
    results = []
    for request in requests:
        results.append(send(host, request))
        if host.vm_failure is not None:
            break
    return results


def is_http_filter(host: ProxyWasmHost) -> bool:
    vm = host.vm
    return vm is not None and any(vm.has(name) for name in HTTP_CALLBACKS)


# statuses --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatusOutcome:
    function: str
    status: int
    failure: GuestFailure | None
    request: str = ""

    def describe(self) -> str:
        what = f"{self.function} returning {status_name(self.status)} ({self.status})"
        if self.failure is None:
            return f"{what}: survived"
        return f"{what} during {self.request}: {self.failure.describe()}"


def first_calls(host: ProxyWasmHost, requests: Iterable[Request] = STANDARD_TRAFFIC) -> dict[str, int]:
    """Send the requests; for each ``env`` function the module called, the index of the first request
    during which it did (a sweep then needs to send no further)."""
    first: dict[str, int] = {}
    for index, request in enumerate(requests):
        mark = host.trace.next_seq()
        send(host, request)
        for record in host.trace.since(mark):
            if record.kind == HOST:
                first.setdefault(record.name, index)
        if host.vm_failure is not None:
            break
    return first


def environment_statuses(function: str, abi_version: str) -> tuple[int, ...]:
    """Statuses besides OK that Envoy answers this call in some measured situation (its answers
    table); the sweep injects each only into the calls whose situation Envoy answers it in."""
    names = envoy_answers().statuses_of(function, abi_version) - {"OK"}
    return tuple(sorted(Status[name] for name in names if name in Status.__members__))


def other_statuses(function: str, abi_version: str) -> tuple[int, ...]:
    """Every other status Envoy's result enum has (spec codes and Envoy's extras 5, 9, 11), but OK."""
    usual = set(environment_statuses(function, abi_version)) | {Status.OK}
    return tuple(s for s in Status if s not in usual)


def status_sweep(
    make_host: Callable[[], ProxyWasmHost],
    functions: dict[str, int],
    statuses: Callable[[str, str], Iterable[int]],
    abi_version: str,
    requests: Iterable[Request] = STANDARD_TRAFFIC,
    *,
    as_envoy: bool = False,
) -> list[StatusOutcome]:
    """For each function (with the index of the first request that calls it, from ``first_calls``) and
    each status: a fresh VM, the status forced on every call of the function once the VM runs (with
    ``as_envoy``: on the calls Envoy could answer it to), the requests sent up to that one; whether the
    module survived. A status no call received gives no outcome."""
    outcomes = []
    requests = tuple(requests)
    for function, last in functions.items():
        for status in statuses(function, abi_version):
            host = make_host()
            rule = host.inject_status(function, status, as_envoy=as_envoy)
            failure, note = None, ""
            for request in requests[: last + 1]:
                send(host, request)
                if host.vm_failure is not None:
                    failure, note = host.vm_failure, request.note
                    break
            host.close()
            if rule.used:
                outcomes.append(StatusOutcome(function, int(status), failure, note))
    return outcomes


# memory ------------------------------------------------------------------------------------------------
@dataclass
class MemoryGrowth:
    samples: list[int] = field(default_factory=list)  # linear memory bytes after warm-up and each round
    per_round: int = 0
    failure: GuestFailure | None = None

    @property
    def keeps_growing(self) -> bool:
        pairs = list(zip(self.samples, self.samples[1:], strict=False))
        return bool(pairs) and all(after > before for before, after in pairs)

    @property
    def bytes_per_stream(self) -> float:
        streams = self.per_round * (len(self.samples) - 1)
        return (self.samples[-1] - self.samples[0]) / streams if streams else 0.0

    def describe(self) -> str:
        kib = " -> ".join(f"{s // 1024} KiB" for s in self.samples)
        return f"linear memory after warm-up and every {self.per_round} streams: {kib}"


def memory_growth(
    host: ProxyWasmHost,
    requests: Iterable[Request] = STANDARD_TRAFFIC,
    warmup: int = 60,
    rounds: int = 4,
    per_round: int = 90,
    seconds: float = 4.0,
) -> MemoryGrowth:
    """Run many streams and sample the guest's memory: after a warm-up, a module that keeps per-stream
    state grows in every round; one that frees it levels off. A slow module gets a shorter warm-up and
    smaller rounds (at least 10 streams) so the whole check takes about ``seconds``."""
    cycle = tuple(requests)
    growth = MemoryGrowth(per_round=per_round)
    host.trace.enabled = False  # thousands of streams: keep the record small
    count = 0

    def run(streams: int) -> bool:
        nonlocal count
        for _ in range(streams):
            send(host, cycle[count % len(cycle)])
            count += 1
            if host.vm_failure is not None:
                growth.failure = host.vm_failure
                return False
        growth.samples.append(host.memory_bytes)
        return True

    try:
        started = time.perf_counter()
        done = 0
        while done < warmup and (done < 5 or time.perf_counter() - started < seconds / 4):
            if not run(1):
                return growth
            done += 1
        growth.samples = growth.samples[-1:]
        per_stream = (time.perf_counter() - started) / done
        growth.per_round = max(10, min(per_round, int(seconds / rounds / max(per_stream, 1e-6))))
        for _ in range(rounds):
            if not run(growth.per_round):
                return growth
    finally:
        host.trace.enabled = True
    return growth


# hostile input -----------------------------------------------------------------------------------------
HOSTILE_TRAFFIC = (
    Request(
        "GET", "/conformance/host/many", tuple((f"x-many-{i}", f"v{i}") for i in range(95)), note="95 headers"
    ),
    Request("GET", "/conformance/host/huge", (("x-huge", "h" * 48 * 1024),), note="a 48 KiB header value"),
    Request(
        "GET",
        "/conformance/host/empty",
        (("x-empty", ""), ("authorization", ""), ("cookie", "")),
        note="empty header values",
    ),
    Request(
        "GET",
        "/conformance/host/bytes",
        ((b"x-bytes", b"caf\xc3\xa9 \xff\xfe\x80"), (b"x-latin1", b"\xe9t\xe9")),
        note="header values that are not UTF-8",
    ),
    Request(
        "GET",
        "/conformance/host/repeat",
        (("x-dup", "1"), ("x-dup", "2"), ("x-dup", "3")),
        note="a repeated header",
    ),
    Request(
        "POST",
        "/conformance/host/large-body",
        (("content-type", "application/octet-stream"),),
        tuple(bytes([i % 251]) * 16384 for i in range(64)),
        note="a 1 MiB body in 64 chunks",
    ),
    Request(
        "POST",
        "/conformance/host/binary",
        (("content-type", "application/json"),),
        (b'\x00\xff{"a":\xc3',),
        (("x-trailer", ""),),
        note="a binary body that is not the JSON it claims, and an empty trailer",
    ),
    Request(
        "GET",
        "/conformance/host/no-properties",
        (("x-request", "1"),),
        note="no property exists (every proxy_get_property answers NOT_FOUND)",
        options=(("standard_properties", False),),
    ),
)
