"""One instance of the module in wasmtime: its store, exports and memory, and the one way the host
calls into it, which meters the CPU budget and turns traps into ``GuestFailure`` reports.

The budget is wasmtime fuel (about one unit per wasm instruction), refilled before every top-level
callback. Envoy has no such limit: a looping callback wedges its worker for good (docs/host-facts.md#no-cpu-limit).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable

import wasmtime

from .errors import GuestFailure, GuestMemoryError, HostLimitation, ModuleLoadError, RestrictedCallError
from .fastcall import ExportCaller, fuel_getter, raise_error, refiller, store_handle
from .memory import MEMORY_MOVES, MEMORY_STAYS, GuestMemory, Storelike

UNLIMITED_FUEL = (1 << 63) - 1
ENVOY_MEMORY_LIMIT = 1 << 30  # PROXY_WASM_HOST_MAX_WASM_MEMORY_SIZE_BYTES: memory.grow returns -1 beyond

_CONFIG = wasmtime.Config()
_CONFIG.consume_fuel = True
# Traps by explicit checks, not by signals: pytest's faulthandler (or any handler installed after
# wasmtime's) would otherwise turn a guest's `unreachable` into a fatal SIGILL of the whole process.
_CONFIG.signals_based_traps = False
if MEMORY_STAYS:  # linear memory never moves (it grows within its reservation): a view of it stays valid
    _CONFIG.memory_may_move = False
ENGINE = wasmtime.Engine(_CONFIG)
_COMPILED: OrderedDict[str, wasmtime.Module] = OrderedDict()
_CACHE_SIZE = 32


def compile_module(data: bytes, name: str) -> wasmtime.Module:
    """Compile once per distinct module (a reload, or the next test, reuses it)."""
    key = hashlib.sha256(data).hexdigest()
    module = _COMPILED.get(key)
    if module is None:
        try:
            module = wasmtime.Module(ENGINE, data)
        except wasmtime.WasmtimeError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid module"
            raise ModuleLoadError(f"{name}: not a loadable WebAssembly module: {first}") from None
        _COMPILED[key] = module
        while len(_COMPILED) > _CACHE_SIZE:
            _COMPILED.popitem(last=False)
    else:
        _COMPILED.move_to_end(key)
    return module


class CallFailed(Exception):
    """A call into the guest did not return; ``failure`` says why."""

    def __init__(self, failure: GuestFailure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


class Vm:
    """An instantiated module. ``call`` is the only entry into guest code."""

    def __init__(
        self,
        module: wasmtime.Module,
        make_linker: Callable[[wasmtime.Store], wasmtime.Linker],
        name: str,
        *,
        fuel: int | None,
        memory_limit: int = ENVOY_MEMORY_LIMIT,
    ) -> None:
        self.name = name
        self.fuel = fuel
        self.store = wasmtime.Store(ENGINE)
        self.store.set_limits(memory_size=memory_limit)
        self.store.set_fuel(UNLIMITED_FUEL)
        self.handle = store_handle(self.store)  # what calls and memory access take for the store
        self.refill = refiller(self.store, UNLIMITED_FUEL if fuel is None else fuel)  # a callback's budget
        self._fuel_left = fuel_getter(self.store)  # read after every recorded callback
        self.depth = 0  # nesting of guest calls (a host call may call the allocator)
        self.restriction: tuple[str, frozenset[tuple[str, str]]] | None = None
        try:
            linker = make_linker(self.store)
        except wasmtime.WasmtimeError as exc:
            raise HostLimitation(f"{name}: the in-process host cannot link it: {_message(exc)}") from None
        try:
            self.instance = linker.instantiate(self.store, module)
        except wasmtime.Trap as trap:
            raise ModuleLoadError(f"{name}: the start function trapped: {_message(trap)}") from None
        except wasmtime.WasmtimeError as exc:
            raise ModuleLoadError(f"{name}: cannot be instantiated: {_message(exc)}") from None
        exports = self.instance.exports(self.store)
        self.functions: dict[str, ExportCaller] = {}
        memory = None
        for export in module.exports:
            item = exports[export.name]
            if isinstance(item, wasmtime.Func):
                self.functions[export.name] = ExportCaller(item, export.type, self.store)
            elif isinstance(item, wasmtime.Memory) and memory is None:
                memory = item
        for imp in module.imports:  # a memory the host provided counts too (Envoy creates one)
            if memory is None and isinstance(imp.type, wasmtime.MemoryType):
                memory = linker.get(self.store, imp.module, imp.name)
        self.allocator_name: str | None = None  # chosen by the host profile's lookup order
        self.raw_memory: wasmtime.Memory | None = memory  # None: Envoy loads it, then crashes on a host call
        self.memory = GuestMemory(memory, self._no_allocator)  # the host plugs in its allocator

    def _no_allocator(self, store: Storelike, size: int) -> int:
        raise GuestMemoryError("no allocator is connected")

    def has(self, name: str) -> bool:
        return name in self.functions

    def call(
        self,
        store: Storelike | None,
        name: str,
        args: tuple[int, ...],
        *,
        context_id: int | None = None,
        restriction: tuple[str, frozenset[tuple[str, str]]] | None = None,
    ) -> int | None:
        """Call export ``name``; raise ``CallFailed`` for a trap, a restricted call or a spent budget."""
        func = self.functions[name]
        if self.depth == 0:  # a top-level callback gets a fresh budget
            error = self.refill()
            if error:
                raise_error(error)
        saved = self.restriction
        if restriction is not None:
            self.restriction = restriction
        self.depth += 1
        try:
            return func.call_in_store(args) if store is None else func.call(store, *args)
        except (RestrictedCallError, wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise CallFailed(self.failure_of(name, exc, context_id)) from None
        finally:
            self.depth -= 1
            self.restriction = saved
            if MEMORY_MOVES:
                self.memory.view = None  # the guest ran (``forget``, inlined: every call passes here)

    def failure_of(self, name: str, exc: Exception, context_id: int | None) -> GuestFailure:
        """What a call of export ``name`` that raised ``exc`` reports."""
        if isinstance(exc, RestrictedCallError):
            return GuestFailure(name, "restricted", str(exc), context_id)
        if isinstance(exc, wasmtime.Trap):
            return self._failure(name, exc, context_id)
        return GuestFailure(name, "trap", _message(exc), context_id)

    def fuel_used(self) -> int | None:
        if self.fuel is None:
            return None
        return self.fuel - self._fuel_left()

    def _failure(self, name: str, trap: wasmtime.Trap, context_id: int | None) -> GuestFailure:
        code = trap.trap_code
        frames = tuple(_frame(f) for f in trap.frames or ())
        if code == wasmtime.TrapCode.OUT_OF_FUEL:
            message = f"ran past its CPU budget of {self.fuel} instructions (wasmtime fuel)"
            return GuestFailure(name, "budget", message, context_id, code.name, frames)
        return GuestFailure(name, "trap", _message(trap), context_id, code.name if code else None, frames)


# cpp-host ``WasmBase::allocMemory`` lets the allocator make only these calls; others trap
_WASI = ("wasi_snapshot_preview1", "wasi_unstable")
ALLOCATOR_RESTRICTION = (
    "the allocator",
    frozenset(
        [("env", "proxy_log")]
        + [(m, n) for m in _WASI for n in ("fd_write", "clock_time_get", "poll_oneoff")]
    ),
)


def _message(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    for line in lines:  # wasmtime puts "wasm trap: ..." after a context line
        if "trap" in line.lower() and "backtrace" not in line.lower():
            return line
    return lines[0] if lines else type(exc).__name__


def _frame(frame: wasmtime.Frame) -> str:
    name = frame.func_name or f"function[{frame.func_index}]"
    return f"{name} @ {frame.module_offset:#x}"
