"""``ProxyWasmHost``: the module in an emulated Envoy, driven by a test.

host = ProxyWasmHost("filter.wasm", plugin_configuration='{"x": 1}').start()
result = host.http_request("POST", "/orders", headers={"x-user": "7"}, body=b"{}")
assert result.request_headers["x-added"] == "yes" and result.status == 200
print(host.trace.format())   # every callback and host call, with decoded arguments
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_wasmhub.abi import AbiDataError, host_profile, load_abi, version_of_marker
from pytest_wasmhub.module import ModuleError, WasmModule, compile_wat
from pytest_wasmhub.wasm_binary import WasmFormatError, parse

from . import calls_in, grpc, lifecycle
from .callbacks import END_OF_STREAM
from .clock import ManualClock
from .codes import LogLevel, Status
from .connection import Connection, echo, open_connection
from .contexts import Context, RootContext
from .errors import GuestFailure, GuestMemoryError, HostError, ModuleLoadError, StartError
from .faults import Faults, Injection
from .grpc import GrpcCall, GrpcReply
from .imports import Dispatcher
from .logs import LogRecord, Logs
from .memory import GuestMemory, Storelike
from .messages import HeaderMap, HttpCall, Response, StreamResult, UpstreamRequest, to_bytes
from .metrics import Metrics
from .opening import open_stream
from .options import HostOptions
from .policy import FailurePolicy
from .properties import Properties
from .shared import SharedData, SharedQueues
from .stream import CallbackFailed, Stream
from .trace import CALLBACK, CallRecord, Trace
from .vm import ALLOCATOR_RESTRICTION, CallFailed, Vm

MAX_SETTLE_ROUNDS = 10_000
MAX_PROBLEMS = 1_000


class Problem:
    """Something the host reports about the module: an unimplemented or restricted call, a call that
    reached nothing, an invalid result, a trap, a spent budget."""

    __slots__ = ("callback", "detail", "kind")

    def __init__(self, kind: str, callback: str | None, detail: str) -> None:
        self.kind, self.callback, self.detail = kind, callback, detail

    def __repr__(self) -> str:
        return f"Problem({self.kind}: {self.detail} in {self.callback})"


class ProxyWasmHost:
    """An in-process proxy-wasm host (ABI 0.1.0, 0.2.0, 0.2.1) behaving like Envoy's."""

    def __init__(
        self, module: WasmModule | bytes | str | Path, options: HostOptions | None = None, **overrides: Any
    ):
        self.options = opts = HostOptions.build(options, overrides)
        self.module_data, self.module_name, marker_version = _read_module(module)
        try:
            self.profile = host_profile(opts.profile)
        except AbiDataError as exc:
            raise HostError(str(exc)) from None
        version = opts.abi_version or marker_version
        if version is None:
            raise ModuleLoadError(
                f"{self.module_name}: no known proxy_abi_version_* export "
                "(Envoy: 'Missing or unknown Proxy-Wasm ABI version')"
            )
        if version not in self.profile.abi_versions:
            raise ModuleLoadError(
                f"{self.module_name}: ABI {version} is not one the {opts.profile} host speaks"
            )
        self.abi_version = version
        self.abi = load_abi(version)
        self.policy = FailurePolicy.parse(opts.failure_policy)
        self.clock = opts.clock or ManualClock()
        self.plugin_configuration = to_bytes(opts.plugin_configuration)
        self.vm_configuration = to_bytes(opts.vm_configuration)
        self.vm_id = opts.vm_id
        self.environment = dict(opts.environment)
        self.clusters = None if opts.clusters is None else frozenset(opts.clusters)
        self.foreign_functions = dict(opts.foreign_functions)
        self.log_level = _log_level(opts.log_level)
        self.downstream_address = opts.downstream_address
        self.listener_address = opts.listener_address
        self.response_chunk_size = opts.response_chunk_size
        plugin = {"plugin_name": opts.plugin_name, "plugin_root_id": opts.root_id, "plugin_vm_id": opts.vm_id}
        self.properties = Properties(plugin, opts.properties, opts.standard_properties)
        # what the test reads
        self.trace = Trace(opts.trace_limit)
        self.logs = Logs()
        self.metrics = Metrics()
        self.problems: list[Problem] = []
        self.failures: list[GuestFailure] = []
        self.reloads = {"success": 0, "failure": 0, "backoff": 0}  # Envoy's vm_reload_* counters
        self.shared_data = opts.shared_data or SharedData()
        self.shared_queues = opts.shared_queues or SharedQueues()
        self.faults = Faults()
        # runtime state
        self.dispatcher = Dispatcher(self, self.profile, version)
        self.end_of_stream = tuple(c for c in self.profile.http_lifecycle if c in END_OF_STREAM)
        self._arity = {
            n: len(s.params) for n, s in {**self.abi.callbacks, **self.profile.extra_callbacks}.items()
        }
        self.vm: Vm | None = None
        self.root: RootContext | None = None
        self.contexts: dict[int, Context] = {}
        self._next_context = 1
        self.current_callback: str | None = None
        self.current_context_id: int | None = None
        self.effective_context_id: int | None = None
        self.configuring = False
        self.vm_failure: GuestFailure | None = None
        self.failed_at_ms = 0.0
        self.vm_started_at_ms = 0.0  # FAIL_RELOAD's back-off runs from here (Envoy: the VM's last start)
        self.pending_http_calls: dict[int, HttpCall] = {}
        self.pending_grpc_calls: dict[int, GrpcCall] = {}
        self._next_http_call = 1
        self._queue_events: deque[tuple[int, int]] = deque()
        self.open_streams: list[Stream] = []
        self._after_callback: list[Callable[[], None]] = []
        self.started = False
        self.closed = False

    # start and stop ---------------------------------------------------------------------------------
    def start(self) -> ProxyWasmHost:
        """Load the module and run start-up and the root lifecycle, as Envoy does at configuration."""
        if self.started:
            return self
        if self.closed:
            raise HostError(f"{self.module_name}: the host is closed")
        self.vm = self._new_vm()
        try:
            lifecycle.start_vm(self)
        except StartError as exc:
            if exc.failure is not None:
                self._record_failure(exc.failure)
            raise
        self.started = True
        self.settle()
        return self

    def close(self) -> None:
        """End open streams, then shut the root context down (``proxy_on_done`` / ``proxy_on_delete``)."""
        if self.closed:
            return
        for stream in list(self.open_streams):
            stream.finish()
        if self.started:
            lifecycle.shut_down(self)
        self.closed = True

    def __enter__(self) -> ProxyWasmHost:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def reload(self) -> None:
        """Replace a failed VM with a fresh instance (FAIL_RELOAD does this on its own)."""
        for stream in list(self.open_streams):
            stream.finish()
        self.contexts.clear()
        self.root = None
        self._next_context = 1
        self.metrics.reset_ids()
        self.pending_http_calls.clear()
        self.pending_grpc_calls.clear()
        self._queue_events.clear()
        self.vm_failure = None
        self.vm = self._new_vm()
        try:
            lifecycle.start_vm(self)
        except StartError as exc:
            self._record_failure(exc.failure or GuestFailure("start-up", "trap", str(exc)))
            raise
        self.started = True

    def _new_vm(self) -> Vm:
        self.vm_started_at_ms = self.clock.monotonic_ms
        vm = lifecycle.load_vm(self)
        vm.allocator_name = next((a for a in self.profile.allocator_lookup if vm.has(a)), None)
        vm.memory = GuestMemory(vm.raw_memory, self._allocate)
        return vm

    def _allocate(self, store: Storelike, size: int) -> int:
        """Memory for the guest, from its own allocator, called from inside a host call. A failing
        allocator fails the VM, yet the host call returns INVALID_MEMORY_ACCESS and the guest carries on
        (Envoy 1.40, docs/host-facts.md#a-trap-fails-the-stream)."""
        vm = self.vm
        assert vm is not None
        name = vm.allocator_name
        if name is None:
            raise GuestMemoryError("the module exports no allocator")
        record = self.trace.add(
            CallRecord(
                0,
                CALLBACK,
                name,
                {"args": (size,)},
                context_id=None,
                within=self.current_callback,
                depth=vm.depth,
            )
        )
        try:
            pointer = vm.call(store, name, (size,), restriction=ALLOCATOR_RESTRICTION)
        except CallFailed as failed:
            record.failure = failed.failure.describe().splitlines()[0]
            self._record_failure(failed.failure)
            raise GuestMemoryError(f"{name} failed") from None
        record.result = pointer
        return int(pointer or 0)

    # HTTP streams -----------------------------------------------------------------------------------
    def http_request(
        self,
        method: str = "GET",
        path: str = "/",
        headers: Any = None,
        body: bytes | str | list[bytes] = b"",
        trailers: Any = None,
        **kwargs: Any,
    ) -> StreamResult:
        """Send one request through the module and end the stream; see ``start_request`` for options."""
        return self.start_request(method, path, headers, body, trailers, **kwargs).finish()

    def tcp_connection(self, upstream: Callable[[bytes], bytes] | None = None) -> Connection:
        """A network (TCP) stream through the module: ``send(data)``, ``close()`` (see connection.py)."""
        return open_connection(self, upstream or echo)

    def start_request(
        self,
        method: str = "GET",
        path: str = "/",
        headers: Any = None,
        body: bytes | str | list[bytes] = b"",
        trailers: Any = None,
        *,
        authority: str = "example.com",
        scheme: str = "http",
        upstream: Response | Callable[[UpstreamRequest], Response] | None = None,
        chunk_size: int | None = None,
    ) -> Stream:
        """Start a stream and run it as far as the module lets it; ``finish()`` ends it.

        ``body`` is bytes (split by ``chunk_size``) or a list of chunks. ``upstream`` answers the request
        (a ``Response`` or a function of the ``UpstreamRequest``). Like Envoy's connection manager, the
        host adds ``x-forwarded-proto`` and ``x-request-id`` before the module sees the request.
        """
        return open_stream(
            self, method, path, headers, body, trailers, authority, scheme, upstream, chunk_size
        )

    def recover(self) -> bool:
        """FAIL_RELOAD: a fresh VM once the back-off has passed since the VM last started."""
        if self.policy is not FailurePolicy.FAIL_RELOAD:
            return False
        # Envoy times it from the VM's start, not the trap (docs/host-facts.md#failure-policies):
        # a VM that ran longer than the back-off is replaced at once
        if self.clock.monotonic_ms < self.vm_started_at_ms + self.options.reload_backoff_ms:
            self.reloads["backoff"] += 1
            return False
        try:
            self.reload()
        except (StartError, ModuleLoadError):
            self.reloads["failure"] += 1
            self.failed_at_ms = self.clock.monotonic_ms
            return False
        self.reloads["success"] += 1
        return True

    def end_stream_callbacks(self, stream: Stream) -> None:
        lifecycle.end_stream(self, stream)
        stream.result.calls = self.trace.since(stream.trace_mark)
        stream.result.logs = self.logs[stream.log_mark :]

    def forget_stream(self, stream: Stream) -> None:
        streams = self.open_streams
        if streams and streams[-1] is stream:  # the common case: the stream opened last ends first
            streams.pop()
        elif stream in streams:
            streams.remove(stream)

    # calls into the module --------------------------------------------------------------------------
    def invoke(
        self,
        name: str,
        context_id: int | None,
        *args: int,
        default: int | None = None,
        restriction: tuple[str, frozenset[tuple[str, str]]] | None = None,
    ) -> int | None:
        """Call the module's export ``name`` (if it has one), recorded, budgeted and checked;
        ``CallbackFailed`` when it does not return."""
        return self.call_export(name, context_id, args, default, restriction)

    call_export = calls_in.call_export  # ``invoke`` with the arguments as a tuple (a stream's callbacks)

    def _run_after_callback(self) -> None:
        while self._after_callback:
            self._after_callback.pop(0)()

    def _record_failure(self, failure: GuestFailure) -> None:
        self.failures.append(failure)
        self.report_problem(failure.kind, failure.describe())
        if self.vm_failure is None:
            self.vm_failure = failure
            self.failed_at_ms = self.clock.monotonic_ms

    def _async(self, name: str, context_id: int, *args: int) -> None:
        """A callback not tied to stream data (timer, queue, callout): then let waiting streams move."""
        if self.vm_failure is not None:
            return  # Envoy skips these on a failed VM
        try:
            self.invoke(name, context_id, *args)
        except CallbackFailed:
            return
        self._pump_streams()

    def _pump_streams(self) -> None:
        for stream in self.open_streams[:]:
            if not stream.ended:
                stream.apply_deferred()
                stream.run()

    # events: queues, callouts, time -----------------------------------------------------------------
    def queue_ready(self, context_id: int, token: int) -> None:
        self._queue_events.append((context_id, token))

    def next_callout_token(self) -> int:
        token = self._next_http_call
        self._next_http_call += 1
        return token

    def answer_grpc_call(self, token: int, reply: GrpcReply) -> None:
        """Answer a gRPC call or stream the module opened (``pending_grpc_calls``)."""
        if token not in self.pending_grpc_calls:
            raise HostError(f"no pending gRPC call with token {token}")
        grpc.answer(self, token, reply)
        self.settle()

    def async_callback(self, name: str, context_id: int, *args: int) -> None:
        self._async(name, context_id, context_id, *args)

    def dispatch_http_call(
        self,
        root: RootContext,
        upstream: str,
        headers: HeaderMap,
        body: bytes,
        trailers: HeaderMap,
        timeout_ms: int,
    ) -> int:
        token = self.next_callout_token()
        deadline = self.clock.monotonic_ms + timeout_ms if timeout_ms else None
        self.pending_http_calls[token] = HttpCall(
            token, upstream, headers, body, trailers, timeout_ms, root.id, deadline
        )
        return token

    def answer_http_call(self, token: int, response: Response | None) -> None:
        """Answer a callout; None is a failed call (Envoy: no headers, ``proxy_get_status`` 11 "reset")."""
        if token not in self.pending_http_calls:
            raise HostError(f"no pending HTTP call with token {token}")
        self._answer(token, response)
        self.settle()

    def _answer(self, token: int, response: Response | None) -> None:
        call = self.pending_http_calls.pop(token)
        call.answered = True
        root = self.contexts.get(call.context_id)
        if not isinstance(root, RootContext):
            return
        if response is None:
            root.status, counts = (int(Status.BROKEN_CONNECTION), b"reset"), (0, 0, 0)
        else:
            headers = HeaderMap([(":status", str(response.status))])
            headers.pairs += HeaderMap(response.headers).pairs
            trailers = HeaderMap(response.trailers) if response.trailers is not None else None
            root.http_call_response = Response(response.status, headers, response.body, trailers)
            counts = (len(headers), len(response.body), len(trailers) if trailers else 0)
        try:
            self._async("proxy_on_http_call_response", root.id, root.id, token, *counts)
        finally:
            root.http_call_response = None
            root.status = (0, b"")

    def run_pending(self) -> None:
        """Deliver queued events (queue notifications, callouts the handler answers) and move streams."""
        self.settle()

    def settle(self) -> None:
        if not self._queue_events and not self.pending_http_calls and not self.pending_grpc_calls:
            # nothing to deliver: the first round of the loop below, in short (``_pump_streams``)
            for stream in self.open_streams[:]:
                if not stream.ended:
                    stream.apply_deferred()
                    stream.run()
            return
        for _ in range(MAX_SETTLE_ROUNDS):
            progressed = False
            while self._queue_events:
                context_id, token = self._queue_events.popleft()
                if context_id in self.contexts:
                    self._async("proxy_on_queue_ready", context_id, context_id, token)
                    progressed = True
            handler = self.options.http_call_handler
            if handler is not None:
                for token, call in list(self.pending_http_calls.items()):
                    self._answer(token, handler(call))
                    progressed = True
            progressed = grpc.settle(self) or progressed
            self._pump_streams()
            if not progressed:
                return
        raise HostError(
            f"{self.module_name}: queue or callout events keep coming after {MAX_SETTLE_ROUNDS} rounds"
        )

    def advance_time(self, milliseconds: float) -> None:
        """Move the clock forward, firing ``proxy_on_tick`` and callout timeouts in time order."""
        target = self.clock.monotonic_ms + milliseconds
        while True:
            due = [
                (root.next_tick_ms, "tick", root.id)
                for root in self.contexts.values()
                if isinstance(root, RootContext)
                and root.next_tick_ms is not None
                and root.next_tick_ms <= target
            ]
            due += [
                (c.deadline_ms, "timeout", t)
                for t, c in self.pending_http_calls.items()
                if c.deadline_ms is not None and c.deadline_ms <= target
            ]
            due += [
                (c.deadline_ms, "grpc timeout", t)
                for t, c in self.pending_grpc_calls.items()
                if c.deadline_ms is not None and c.deadline_ms <= target
            ]
            if not due or self.vm_failure is not None:
                break
            when, kind, ident = min(due)
            self.clock.set_monotonic_ms(when)
            if kind == "tick":
                root = self.contexts[ident]
                assert isinstance(root, RootContext)
                root.next_tick_ms = when + root.tick_period_ms if root.tick_period_ms else None
                self._async("proxy_on_tick", ident, ident)
            elif kind == "grpc timeout":
                grpc.answer(self, ident, GrpcReply(grpc.DEADLINE_EXCEEDED, message="timeout"))
            else:  # Envoy's async client answers a timed-out call with a local 504
                self._answer(
                    ident, Response(504, {"content-type": "text/plain"}, b"upstream request timeout")
                )
            self.settle()
        self.clock.set_monotonic_ms(max(target, self.clock.monotonic_ms))
        self.settle()

    # what host calls need ---------------------------------------------------------------------------
    def next_context_id(self) -> int:
        value = self._next_context
        self._next_context += 1
        return value

    def context_for_call(self) -> Context | None:
        context_id = self.effective_context_id or self.current_context_id
        return None if context_id is None else self.contexts.get(context_id)

    def root_of(self, context: Context | None) -> RootContext | None:
        if isinstance(context, RootContext):
            return context
        if context is None:
            return None
        root = self.contexts.get(context.root_id)
        return root if isinstance(root, RootContext) else None

    def finish_root_shutdown(self, root: RootContext) -> None:
        self._after_callback.append(lambda: lifecycle.finish_root(self, root))  # Envoy defers the delete

    def log(self, level: int, message: str, source: str) -> None:
        context_id = self.effective_context_id or self.current_context_id
        self.logs.append(
            LogRecord(level, LogLevel(level).name, message, context_id, self.current_callback, source)
        )

    def report_problem(self, kind: str, detail: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(kind, self.current_callback, detail))

    # what tests read --------------------------------------------------------------------------------
    def inject_status(
        self,
        function: str,
        status: int | str,
        *,
        times: int | None = None,
        within: str | None = None,
        as_envoy: bool = False,
    ) -> Injection:
        """Make host function ``function`` return ``status`` (a number or a name like "NOT_FOUND")
        instead of running, ``times`` times (None: always), optionally only from callback ``within``;
        with ``as_envoy`` only in calls Envoy answers that status to (its measured answers table)."""
        value = Status[status].value if isinstance(status, str) else int(status)
        return self.faults.add(Injection(function, value, times, within, as_envoy))

    @property
    def memory_bytes(self) -> int:
        """The size of the guest's linear memory now."""
        assert self.vm is not None
        return self.vm.memory.size(self.vm.handle)

    def problems_of(self, kind: str) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]

    def report(self, last: int = 60) -> str:
        """Failures, problems and the latest calls: what a failing test should print."""
        lines = [f"module {self.module_name} (ABI {self.abi_version}, {self.profile.name} profile)"]
        lines += [f"failure: {f.describe()}" for f in self.failures]
        lines += [
            f"{p.kind}: {p.detail}" + (f" (in {p.callback})" if p.callback else "")
            for p in self.problems[:30]
        ]
        lines += ["last calls:", self.trace.format(last=last)]
        return "\n".join(lines)


def _read_module(module: WasmModule | bytes | str | Path) -> tuple[bytes, str, str | None]:
    if isinstance(module, WasmModule):
        data, name = module.data, module.source
    elif isinstance(module, (bytes, bytearray)):
        data, name = bytes(module), "<module bytes>"
    else:
        path = Path(module)
        name = str(module)
        try:
            data = compile_wat(path) if path.suffix == ".wat" else path.read_bytes()
        except ModuleError as exc:
            raise ModuleLoadError(str(exc)) from None
        except OSError as exc:
            raise ModuleLoadError(f"{name}: cannot read: {exc.strerror}") from None
    try:
        exports = parse(data).export_names("func")
    except WasmFormatError as exc:
        raise ModuleLoadError(f"{name}: not a WebAssembly module: {exc}") from None
    versions = (version_of_marker(e) for e in exports)
    return data, name, next((v for v in versions if v is not None), None)


def _log_level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    try:
        return int(LogLevel[level.upper()])
    except KeyError:
        raise HostError(f"log level {level!r} is not one of {', '.join(m.name for m in LogLevel)}") from None
