"""How host functions are declared and what they get to work with.

Each host function is a plain Python function ``f(call, *raw_args) -> status`` registered with
``@env_function`` (module ``env``) or ``@wasi_function``. Its wasm type is not declared here: the
binding takes it from the ABI model (``pytest_wasmhub.abi``), and checks that the Python arity fits.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..trace import UNAVAILABLE, CallRecord, Unrecorded

if TYPE_CHECKING:
    from ..contexts import Context
    from ..host import ProxyWasmHost
    from ..memory import Storelike

Implementation = Callable[..., Any]


@dataclass(frozen=True)
class HostFunction:
    name: str
    func: Implementation
    arg_names: tuple[str, ...]
    # (which statuses Envoy answers in which situation is measured data: ``..answers``)


ENV_FUNCTIONS: dict[str, HostFunction] = {}
WASI_FUNCTIONS: dict[str, HostFunction] = {}


def _register(table: dict[str, HostFunction]):
    def decorate(func: Implementation) -> Implementation:
        names = tuple(inspect.signature(func).parameters)[1:]  # the first is the Call
        table[func.__name__] = HostFunction(func.__name__, func, names)
        return func

    return decorate


def env_function():
    """Register an ``env`` host function under its Python name."""
    return _register(ENV_FUNCTIONS)


def wasi_function():
    """Register a WASI function under its Python name."""
    return _register(WASI_FUNCTIONS)


class Call:
    """One host call in progress: the host, the guest memory through the calling store, the context
    the call acts for, and the trace record to annotate with decoded arguments."""

    __slots__ = ("context", "host", "memory", "name", "record", "store", "within")

    def __init__(
        self,
        host: ProxyWasmHost,
        store: Storelike,
        record: CallRecord | Unrecorded | None,
        context: Context | None,
        name: str,
        within: str | None,
    ):
        self.host = host
        self.store = store
        self.record = record  # None: recording is off, and nothing reads the notes
        self.context = context
        self.memory = host.vm.memory
        self.name = name  # the host function
        self.within = within  # the callback it was called from

    # guest memory
    def read(self, ptr: int, size: int) -> bytes:
        view = self.memory.view
        if view is None:
            view = self.memory.current(self.store)
        if ptr < 0 or size < 0 or ptr + size > len(view):
            return self.memory.read(self.store, ptr, size)  # raises
        return view[ptr : ptr + size].tobytes()  # ``GuestMemory.read`` in short: most host calls read

    def read_two(self, ptr: int, size: int, ptr2: int, size2: int) -> tuple[bytes, bytes]:
        """``(read(ptr, size), read(ptr2, size2))`` in one go (a key and its value)."""
        view = self.memory.view
        if view is None:
            view = self.memory.current(self.store)
        end, end2, length = ptr + size, ptr2 + size2, len(view)
        if ptr < 0 or size < 0 or end > length or ptr2 < 0 or size2 < 0 or end2 > length:
            return self.read(ptr, size), self.read(ptr2, size2)  # the slow way, which raises
        return view[ptr:end].tobytes(), view[ptr2:end2].tobytes()

    def read_text(self, ptr: int, size: int) -> str:
        return self.read(ptr, size).decode("utf-8", errors="replace")

    def write(self, ptr: int, data: bytes) -> None:
        self.memory.write(self.store, ptr, data)

    def write_u32(self, ptr: int, value: int) -> None:
        self.memory.write_u32(self.store, ptr, value)

    def write_u64(self, ptr: int, value: int) -> None:
        self.memory.write_u64(self.store, ptr, value)

    def give(self, data: bytes, ptr_ptr: int, size_ptr: int) -> None:
        self.memory.give(self.store, data, ptr_ptr, size_ptr)

    # the record
    def note(self, **decoded: Any) -> None:
        if self.record is not None:
            self.record.args.update(decoded)

    def unavailable(self, what: str) -> None:
        """The call asks for something this callback does not have (the host returns an error)."""
        if self.record is not None:
            self.record.notes.append(UNAVAILABLE)
            self.record.args["unavailable"] = what
        self.host.report_problem(UNAVAILABLE, f"{self.name}: {what}")
