"""Calls into the guest without wasmtime-py's per-call type lookups and value boxing, which cost more
than the guest code itself for small callbacks. Every proxy-wasm export takes and returns only i32/i64,
so the values are written straight into wasmtime's C structs. Falls back to ``Func.__call__`` when the
wasmtime package's internals differ from what this expects."""

from __future__ import annotations

from ctypes import byref
from typing import Any

import wasmtime

try:
    from wasmtime import _ffi as ffi
    from wasmtime._func import enter_wasm

    _KINDS = {"i32": ffi.WASMTIME_I32.value, "i64": ffi.WASMTIME_I64.value}
    _FAST = hasattr(ffi, "wasmtime_func_call") and hasattr(ffi, "wasmtime_val_t")
except (ImportError, AttributeError):  # another wasmtime-py layout: use the public API
    _FAST = False


class ExportCaller:
    """A callable for one exported function: ``caller(store, *ints) -> int | None``."""

    __slots__ = ("_func", "_param_kinds", "_result_kinds", "call")

    def __init__(self, func: wasmtime.Func, func_type: wasmtime.FuncType) -> None:
        self._func = func
        params = [str(t) for t in func_type.params]
        results = [str(t) for t in func_type.results]
        fast = _FAST and all(t in ("i32", "i64") for t in params + results) and len(results) <= 1
        if fast:
            self._param_kinds = tuple(_KINDS[t] for t in params)
            self._result_kinds = tuple(_KINDS[t] for t in results)
            self.call = self._fast_call
        else:
            self._param_kinds = self._result_kinds = ()
            self.call = self._slow_call

    def _slow_call(self, store: Any, *args: int) -> Any:
        return self._func(store, *args)

    def _fast_call(self, store: Any, *args: int) -> Any:
        kinds = self._param_kinds
        if len(args) != len(kinds):
            raise wasmtime.WasmtimeError(f"given {len(args)} arguments, the export takes {len(kinds)}")
        params = (ffi.wasmtime_val_t * len(kinds))()
        for slot, kind, value in zip(params, kinds, args, strict=True):
            slot.kind = kind
            if kind == _KINDS["i32"]:
                slot.of.i32 = value
            else:
                slot.of.i64 = value
        results = (ffi.wasmtime_val_t * len(self._result_kinds))()
        with enter_wasm(store) as trap:
            error = ffi.wasmtime_func_call(
                store._context(), byref(self._func._func), params, len(kinds), results, len(results), trap
            )
            if error:
                raise wasmtime.WasmtimeError._from_ptr(error)
        if not self._result_kinds:
            return None
        return results[0].of.i32 if self._result_kinds[0] == _KINDS["i32"] else results[0].of.i64
