"""Calls across the guest boundary without wasmtime-py's per-call boxing, which costs several times more
than the guest code of a small callback (measured: 8 us per export call and 8 us per host call through
the public API's fastest path; about 1.3 and 1.5 us here, most of it ctypes itself).

Every proxy-wasm export and import takes and returns only i32/i64, so values go straight through
wasmtime's "unchecked" C entry points: one ``wasmtime_val_raw_t`` array holds the arguments and then the
results. The entry points are bound a second time with plain ``c_void_p`` arguments, so a call passes
Python ints (a store is its context's address, a "handle") instead of building ctypes pointer objects.
A Python exception in a host function travels as wasmtime-py's own does: it is kept, the guest traps,
and the exception is raised again once the call into the guest returns. Falls back to the public API
(a handle is then the Store or Caller itself) when the installed wasmtime package's internals differ.
"""

from __future__ import annotations

import ctypes
import functools
import struct
from collections.abc import Callable
from ctypes import POINTER, c_int32, c_int64, c_size_t, c_uint64, c_void_p
from typing import Any

import wasmtime

try:
    from wasmtime import _ffi as ffi
    from wasmtime._bindings import _wasmtime_linker_define_func_unchecked
    from wasmtime._func import maybe_raise_last_exn

    def _bind(name: str, restype: Any, *argtypes: Any) -> Any:
        return ctypes.CFUNCTYPE(restype, *argtypes)((name, ffi.dll))

    _call_unchecked = _bind("wasmtime_func_call_unchecked", c_void_p, c_void_p, c_void_p, c_void_p, c_size_t,
                            c_void_p)  # fmt: skip
    _set_fuel = _bind("wasmtime_context_set_fuel", c_void_p, c_void_p, c_uint64)
    _get_fuel = _bind("wasmtime_context_get_fuel", c_void_p, c_void_p, c_void_p)
    _FUEL = c_uint64()  # the out-parameter of _get_fuel (one thread calls into guests)
    _FUEL_ADDR = ctypes.addressof(_FUEL)
    _caller_context = _bind("wasmtime_caller_context", c_void_p, c_void_p)
    _memory_data = _bind("wasmtime_memory_data", c_void_p, c_void_p, c_void_p)
    _memory_size = _bind("wasmtime_memory_data_size", c_size_t, c_void_p, c_void_p)
    # the same entry points without declared argument types: they take "words" (see ``word``) as they are
    _loose = ctypes.CFUNCTYPE(c_void_p)
    _call_words = _loose(("wasmtime_func_call_unchecked", ffi.dll))
    _set_fuel_words = _loose(("wasmtime_context_set_fuel", ffi.dll))
    _get_fuel_words = _loose(("wasmtime_context_get_fuel", ffi.dll))
    _RAW = ffi.wasmtime_val_raw_t
    _SLOT = ctypes.sizeof(_RAW) // 8  # int64 words per value slot (a slot also fits a v128)
    _CALLBACK = ffi.wasmtime_func_unchecked_callback_t
    _FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
    _FAST = ctypes.sizeof(c_void_p) == ctypes.sizeof(c_size_t) == 8  # words are 64-bit registers
except (ImportError, AttributeError):  # another wasmtime-py layout: use the public API
    _FAST = False

_U32 = 0xFFFFFFFF
_U64 = (1 << 64) - 1
Handle = Any  # fast: the address of a store's context (int or c_void_p); fallback: the Store or Caller


def _simple(types: Any) -> list[str] | None:
    names = [str(t) for t in types]
    return names if all(t in ("i32", "i64") for t in names) else None


def store_handle(store: wasmtime.Store) -> Handle:
    """What ``ExportCaller.call``, ``set_fuel`` and ``memory_size`` take for ``store`` (stable for its life)."""
    if not _FAST:
        return store
    return ctypes.cast(store._context(), c_void_p)  # a c_void_p passes to C without conversion


def word(value: int) -> Any:
    """``value`` (an address, a size or a fuel amount) as a prepared machine-word argument of the loose
    entry points. ctypes copies such a ``byref`` object into the call as it is, where a declared
    argument type costs a conversion and a temporary object per argument (about 2,000 instructions a
    call into the guest); a size passed as a pointer is the same 64-bit register."""
    return ctypes.byref(ctypes.c_char.from_address(value & _U64))


def memory_ref(memory: wasmtime.Memory) -> Any:
    """What ``memory_size`` and ``memory_address`` take for ``memory`` (which must stay alive)."""
    return c_void_p(ctypes.addressof(memory._memory)) if _FAST else memory


def _memory_size_slowly(handle: Handle, memory: Any) -> int:
    return memory.data_len(handle)


# ``memory_size(handle, memory)``: the size of linear memory now, in bytes; fast, the C entry point itself
memory_size: Callable[[Handle, Any], int] = _memory_size if _FAST else _memory_size_slowly


def memory_address(handle: Handle, memory: Any) -> int:
    """Where linear memory is now; it moves only when it grows (so only when its size changes)."""
    if not _FAST:
        return ctypes.addressof(memory.data_ptr(handle).contents)
    return _memory_data(handle, memory) or 0


class ExportCaller:
    """A callable for one exported function: ``caller.call(handle, *ints) -> int | None``; given the store
    it belongs to, also ``caller.call_in_store(ints)``, the same call in that store with an argument
    tuple, every argument of the C call prepared in advance (see ``word``)."""

    __slots__ = ("_buffers", "_count", "_func", "_func_addr", "_kind", "_nparams", "_size", "_store",
                 "_words", "call", "call_in_store")  # fmt: skip

    def __init__(
        self, func: wasmtime.Func, func_type: wasmtime.FuncType, store: wasmtime.Store | None = None
    ):
        self._func = func
        self._store = store
        params, results = _simple(func_type.params), _simple(func_type.results)
        if _FAST and params is not None and results is not None and len(results) <= 1:
            self._nparams = len(params)
            self._size = max(len(params), len(results), 1)
            self._kind = results[0] if results else None
            self._count = c_size_t(self._size)
            self._func_addr = c_void_p(ctypes.addressof(func._func))
            # the store's, the function's and the count's words; the buffers' come with them
            self._words = None if store is None else (word(store_handle(store).value), word(self._func_addr.value),
                                                      word(self._size))  # fmt: skip
            self._buffers: tuple[Any, ...] | None = self._new_buffers()
            self.call = self._fast_call
            self.call_in_store = self._call_words
        else:
            self.call = self._slow_call
            self.call_in_store = self._slow_call_in_store

    def _new_buffers(self) -> tuple[Any, ...]:
        """The value array's address, int views of it (item access on them is far cheaper than on the
        union's fields), the trap out-parameter and its address, the C call's words (with a store), and
        where the result is read (None: no result)."""
        raw = (_RAW * self._size)()
        ints = (c_int64 * (self._size * _SLOT)).from_buffer(raw)  # keeps ``raw`` alive
        i32 = (c_int32 * 1).from_buffer(raw)
        trap = c_void_p()
        words = None
        if self._words is not None:
            store, func, count = self._words
            words = (store, func, word(ctypes.addressof(raw)), count, word(ctypes.addressof(trap)))
        result = None if self._kind is None else ints if self._kind == "i64" else i32
        # addresses as c_void_p objects: ctypes passes them on as they are, where an int is converted
        return (c_void_p(ctypes.addressof(raw)), ints, i32, trap, c_void_p(ctypes.addressof(trap)), words,
                result, slice(0, self._nparams * _SLOT, _SLOT))  # fmt: skip

    def _slow_call(self, store: Any, *args: int) -> Any:
        return self._func(store, *args)

    def _slow_call_in_store(self, args: tuple[int, ...]) -> Any:
        return self._func(self._store, *args)

    def _fast_call(self, handle: Handle, *args: int) -> Any:
        if len(args) != self._nparams:
            raise wasmtime.WasmtimeError(f"given {len(args)} arguments, the export takes {self._nparams}")
        buffers = self._buffers
        own = buffers is not None
        if own:
            self._buffers = None  # taken: a host call that calls this export again (the allocator)
        else:  # gets fresh ones
            buffers = self._new_buffers()
        raw, ints, i32, trap, trap_addr = buffers[:5]
        try:
            if args:  # i64 covers i32 too: the guest reads the low half
                ints[0 : len(args) * _SLOT : _SLOT] = args
            # ``trap`` is None here: it is reset whenever one arrives
            error = _call_unchecked(handle, self._func_addr, raw, self._count, trap_addr)
            if error:
                _raise_pending()
                raise wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, POINTER(ffi.wasmtime_error_t)))
            if trap.value:
                failure = wasmtime.Trap._from_ptr(ctypes.cast(trap.value, POINTER(ffi.wasm_trap_t)))
                trap.value = None
                _raise_pending()
                raise failure
            kind = self._kind
            if kind is None:
                return None
            return ints[0] if kind == "i64" else i32[0]
        finally:
            if own:
                self._buffers = buffers

    def _call_words(self, args: tuple[int, ...]) -> Any:
        """``_fast_call`` in the caller's own store, every argument of the C call prepared."""
        buffers = self._buffers
        if buffers is None or len(args) != self._nparams:  # in use further up, or a wrong count
            return self._fast_call(store_handle(self._store), *args)
        self._buffers = None  # taken: a host call that calls this export again (the allocator)
        try:
            if args:  # i64 covers i32 too: the guest reads the low half
                buffers[1][buffers[7]] = args
            # ``trap`` is None here: it is reset whenever one arrives
            error = _call_words(*buffers[5])
            if error:
                _raise_pending()
                raise wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, POINTER(ffi.wasmtime_error_t)))
            trap = buffers[3]
            if trap.value:
                failure = wasmtime.Trap._from_ptr(ctypes.cast(trap.value, POINTER(ffi.wasm_trap_t)))
                trap.value = None
                _raise_pending()
                raise failure
            result = buffers[6]
            return None if result is None else result[0]
        finally:
            self._buffers = buffers


def set_fuel(handle: Handle, fuel: int) -> None:
    """``store.set_fuel(fuel)``, without the wrapper."""
    raise_error(refuel(handle, fuel))


def _refuel_slowly(handle: Handle, fuel: int) -> None:
    handle.set_fuel(fuel)


# ``refuel(handle, fuel)`` sets the fuel and returns an error for ``raise_error`` (None: none); fast, the C
# entry point itself, with no Python frame (it runs before every top-level callback)
refuel: Callable[[Handle, int], Any] = _set_fuel if _FAST else _refuel_slowly


def refiller(store: wasmtime.Store, fuel: int) -> Callable[[], Any]:
    """``refill()`` sets the fuel of ``store`` to ``fuel`` and returns an error for ``raise_error`` (None:
    none); fast, the loose entry point with its words bound, without a Python frame."""
    if not _FAST:
        return functools.partial(_refuel_slowly, store, fuel)
    return functools.partial(_set_fuel_words, word(store_handle(store).value), word(fuel))


def fuel_getter(store: wasmtime.Store) -> Callable[[], int]:
    """``get()`` is ``store.get_fuel()``; fast, the loose entry point with its words bound."""
    if not _FAST:
        return store.get_fuel
    read = functools.partial(_get_fuel_words, word(store_handle(store).value), word(_FUEL_ADDR))

    def get() -> int:
        error = read()
        if error:
            raise_error(error)
        return _FUEL.value

    return get


def get_fuel(handle: Handle) -> int:
    """``store.get_fuel()``, without the wrapper (read after every recorded callback)."""
    if not _FAST:
        return handle.get_fuel()
    error = _get_fuel(handle, _FUEL_ADDR)
    if error:
        raise_error(error)
    return _FUEL.value


def raise_error(error: Any) -> None:
    """Raise what a C entry point returned as its error, if anything."""
    if error:
        raise wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, POINTER(ffi.wasmtime_error_t)))


# --- host functions ----------------------------------------------------------------------------------

_pending: BaseException | None = None  # the exception a host function raised, until the call returns
# each defined import by its number, until wasmtime finalizes the definition (its linker and stores are gone)
_entries: dict[int, tuple[Callable[..., Any], Callable[[Any], tuple[int, ...]], str | None, Any, Any]] = {}
_numbers = iter(range(1, 1 << 62))
_VIEW_SLOTS = 16  # a host function with at most this many values gets the one shared view type
_VIEW = c_int64 * (_VIEW_SLOTS * _SLOT) if _FAST else None
_views: dict[int, Any] = {}  # the address of a values array -> a _VIEW of it


def _raise_pending() -> None:
    global _pending
    if _pending is not None:
        exc, _pending = _pending, None
        raise exc
    maybe_raise_last_exn()  # one from a function wasmtime-py's own trampoline ran


def _dispatch(env: int | None, caller: int, values: int, _count: int) -> int:
    """The trampoline of every host function: ``function(handle, *ints)``, handle of the calling store."""
    global _pending
    function, unpack, result, view, handle = _entries[env or 0]
    try:
        # wasmtime passes the values in the same few places: an int view of one is made once
        slots = _views.get(values) if view is _VIEW else None
        if slots is None:
            slots = view.from_address(values)
            if view is _VIEW:
                if len(_views) >= 64:
                    _views.clear()
                _views[values] = slots
        value = function(handle or _caller_context(caller), *unpack(slots))
        if result is not None:
            slots[0] = value if result == "i64" else value & _U32  # the guest reads the low half of an i32
        return 0
    except BaseException as exc:  # re-raised after the guest call, as wasmtime-py does
        _pending = exc
        return ctypes.cast(wasmtime.Trap("python exception")._consume(), ctypes.c_void_p).value or 0


if _FAST:
    # bound with plain ints for arguments (see the module docstring), then typed as wasmtime-py declares it
    _RAW_DISPATCH = ctypes.CFUNCTYPE(c_size_t, c_void_p, c_void_p, c_void_p, c_size_t)(_dispatch)
    _CALLBACK_FN = ctypes.cast(_RAW_DISPATCH, _CALLBACK)
    _FORGET = _FINALIZER(lambda env: _entries.pop(env or 0, None))


def define_import(
    linker: wasmtime.Linker,
    module: str,
    name: str,
    func_type: wasmtime.FuncType,
    function: Callable[..., Any],
    store: wasmtime.Store | None = None,
) -> None:
    """Define ``module.name`` in ``linker`` as ``function(handle, *ints)``, ``handle`` the calling
    store's (see ``store_handle``); i32 arguments arrive unsigned. With ``store``, the one store the
    linker instantiates into, the handle is known in advance: a caller's context is its store's
    context (both are the store's inner pointer in wasmtime's C API), and asking costs an FFI call."""
    params, results = _simple(func_type.params), _simple(func_type.results)
    if not _FAST or params is None or results is None or len(results) > 1:  # through wasmtime-py
        small = tuple(str(t) == "i32" for t in func_type.params)

        def through_wasmtime(caller: wasmtime.Caller, *args: Any) -> Any:
            unsigned = [v & _U32 if s and isinstance(v, int) else v for v, s in zip(args, small, strict=True)]
            return function(
                caller if not _FAST else ctypes.cast(caller._context(), c_void_p).value, *unsigned
            )

        linker.define_func(module, name, func_type, through_wasmtime, access_caller=True)
        return
    index = next(_numbers)
    handle = None if store is None else store_handle(store)
    slots = max(len(params), len(results), 1)
    view = _VIEW if slots <= _VIEW_SLOTS else c_int64 * (slots * _SLOT)  # only ``slots`` are ever read
    # each value from its slot at once, as the union holds it: an i32 unsigned, an i64 as it is
    layout = "".join(f"I{8 * _SLOT - 4}x" if t == "i32" else f"q{8 * _SLOT - 8}x" for t in params)
    unpack = struct.Struct("=" + layout).unpack_from
    _entries[index] = (function, unpack, results[0] if results else None, view, handle)
    module_bytes, name_bytes = module.encode(), name.encode()
    error = _wasmtime_linker_define_func_unchecked(
        linker.ptr(), module_bytes, len(module_bytes), name_bytes, len(name_bytes), func_type.ptr(),
        _CALLBACK_FN, index, _FORGET,
    )  # fmt: skip
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
