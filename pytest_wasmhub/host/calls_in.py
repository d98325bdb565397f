"""Calls into the module's exports, as the host makes them: recorded, budgeted (fuel refilled before
each top-level callback), checked against the results the ABI allows; a call that does not return
fails the VM (``CallbackFailed``). Bound as ``ProxyWasmHost`` methods (``call_export``, ``invoke``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import wasmtime

from .callbacks import RESULT_NAMES, VALID_RESULTS, describe_result
from .errors import RestrictedCallError
from .fastcall import raise_error
from .memory import MEMORY_MOVES
from .stream import CallbackFailed
from .trace import CALLBACK, INVALID_RESULT, CallRecord
from .vm import CallFailed

if TYPE_CHECKING:
    from .host import ProxyWasmHost


def call_export(
    host: ProxyWasmHost,
    name: str,
    context_id: int | None,
    args: tuple[int, ...],
    default: int | None = None,
    restriction: tuple[str, frozenset[tuple[str, str]]] | None = None,
) -> int | None:
    """``invoke`` with the arguments as a tuple (a stream's callbacks call this)."""
    if host.vm_failure is not None:
        raise CallbackFailed(host.vm_failure)
    vm = host.vm
    assert vm is not None
    func = vm.functions.get(name)
    if func is None:
        return default
    arity = host._arity.get(name)
    if arity is not None and arity < len(args):
        args = args[:arity]
    if vm.depth or restriction is not None:
        return _invoke_nested(host, name, context_id, args, restriction)
    # a top-level callback, unrestricted (every callback of a stream): ``Vm.call`` inlined
    trace = host.trace
    record = (
        trace.record(CALLBACK, name, {"args": args}, context_id, None, 0)
        if trace.enabled
        else None  # recording off: nothing would keep the record
    )
    saved = (host.current_callback, host.current_context_id, host.effective_context_id)
    host.current_callback, host.current_context_id, host.effective_context_id = name, context_id, None
    try:
        error = vm.refill()  # a top-level callback gets a fresh budget
        if error:
            raise_error(error)
        vm.depth = 1
        try:
            value = func.call_in_store(args)
        except (RestrictedCallError, wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            vm.depth = 0  # as ``Vm.call`` leaves it before the failure is reported
            if MEMORY_MOVES:
                vm.memory.view = None
            failure = vm.failure_of(name, exc, context_id)
            if record is not None:
                record.failure = failure.describe().splitlines()[0]
            host._record_failure(failure)
            raise CallbackFailed(failure) from None
        finally:
            vm.depth = 0
            if MEMORY_MOVES:
                vm.memory.view = None  # the guest ran (``GuestMemory.forget``)
    finally:
        host.current_callback, host.current_context_id, host.effective_context_id = saved
        if record is not None:
            record.args["fuel"] = vm.fuel_used()
    if record is not None:
        record.result = value
        record.result_name = RESULT_NAMES.get((name, value)) or describe_result(name, value)
    allowed = VALID_RESULTS.get(name)
    if allowed is not None and value not in allowed:
        if record is not None:
            record.notes.append(INVALID_RESULT)
        host.report_problem(INVALID_RESULT, f"{name} returned {value}; the ABI allows {sorted(allowed)}")
    if host._after_callback:
        host._run_after_callback()
    if host.vm_failure is not None:  # None when the call began: a failure recorded since
        raise CallbackFailed(host.vm_failure)  # e.g. the allocator trapped under a host call
    return value


def _invoke_nested(
    host: ProxyWasmHost,
    name: str,
    context_id: int | None,
    args: tuple[int, ...],
    restriction: tuple[str, frozenset[tuple[str, str]]] | None,
) -> int | None:
    """``call_export`` for a call from inside another (the allocator's caller) or a restricted one."""
    vm = host.vm
    assert vm is not None
    top = vm.depth == 0
    # recording off: nothing would keep the record
    record = _callback_record(host, name, context_id, args, top) if host.trace.enabled else None
    saved = (host.current_callback, host.current_context_id, host.effective_context_id)
    host.current_callback, host.current_context_id = name, context_id
    if top:
        host.effective_context_id = None
    failures_before = len(host.failures)
    try:
        value = vm.call(None, name, args, context_id=context_id, restriction=restriction)
    except CallFailed as failed:
        if record is not None:
            record.failure = failed.failure.describe().splitlines()[0]
        host._record_failure(failed.failure)
        raise CallbackFailed(failed.failure) from None
    finally:
        host.current_callback, host.current_context_id, host.effective_context_id = saved
        if record is not None:
            record.args["fuel"] = vm.fuel_used() if top else None
    if record is not None:
        record.result = value
        record.result_name = describe_result(name, value)
    allowed = VALID_RESULTS.get(name)
    if allowed is not None and value not in allowed:
        if record is not None:
            record.notes.append(INVALID_RESULT)
        host.report_problem(INVALID_RESULT, f"{name} returned {value}; the ABI allows {sorted(allowed)}")
    if top:
        if host._after_callback:
            host._run_after_callback()
        if len(host.failures) > failures_before and host.vm_failure is not None:
            raise CallbackFailed(host.vm_failure)  # e.g. the allocator trapped under a host call
    return value


def _callback_record(
    host: ProxyWasmHost, name: str, context_id: int | None, args: tuple[int, ...], top: bool
) -> CallRecord:
    vm = host.vm
    assert vm is not None
    within = None if top else host.current_callback
    return host.trace.record(CALLBACK, name, {"args": args}, context_id, within, vm.depth)
