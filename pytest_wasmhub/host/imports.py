"""Links the module's imports to the host: each import's wasm type comes from the host profile of the
ABI model, its behaviour from ``hostcalls``/``wasi``; every call goes through ``Dispatcher.dispatch``,
which records it, enforces the phase restrictions, applies injected statuses, and turns a bad guest
pointer into INVALID_MEMORY_ACCESS (WASI: EFAULT).

A function the profile links but the host does not implement returns UNIMPLEMENTED (WASI: ENOSYS) and is
reported, never silently ignored.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import wasmtime

from pytest_wasmhub.abi import HostProfile, Signature

from . import wasi  # noqa: F401  (registers the WASI functions)
from .answers.situation import envoy_can_return
from .codes import STATUS_NAMES, WASI_NOSYS, Status, WasiErrno, status_name
from .errors import GuestMemoryError, ModuleLoadError, RestrictedCallError
from .fastcall import Handle, define_import
from .hostcalls import ENV_FUNCTIONS, WASI_FUNCTIONS, Call, HostFunction
from .memory import MEMORY_MOVES
from .trace import HOST, INJECTED, RESTRICTED, UNIMPLEMENTED, WASI, CallRecord, Unrecorded
from .vm import ENGINE

if TYPE_CHECKING:
    from .host import ProxyWasmHost

_VALTYPES = {"i32": wasmtime.ValType.i32(), "i64": wasmtime.ValType.i64()}


class Binding:
    """One linked import."""

    __slots__ = (
        "arg_names",
        "failure_result",
        "function",
        "i32_args",
        "kind",
        "memory_error",
        "module",
        "name",
    )

    def __init__(
        self, module: str, name: str, signature: Signature, function: HostFunction | None, is_wasi: bool
    ):
        self.module, self.name, self.function = module, name, function
        self.kind = WASI if is_wasi else HOST
        count = len(signature.params)
        if function is not None and len(function.arg_names) != count:
            raise RuntimeError(
                f"host bug: {name} takes {len(function.arg_names)} arguments, the ABI says {count}"
            )
        self.arg_names = function.arg_names if function else tuple(f"arg{i}" for i in range(count))
        self.i32_args = tuple(t == "i32" for t in signature.params)
        returns = bool(signature.results)
        self.failure_result = (WASI_NOSYS if is_wasi else int(Status.UNIMPLEMENTED)) if returns else None
        self.memory_error = int(WasiErrno.FAULT) if is_wasi else int(Status.INVALID_MEMORY_ACCESS)


def func_type(signature: Signature) -> wasmtime.FuncType:
    return wasmtime.FuncType(
        [_VALTYPES[t] for t in signature.params], [_VALTYPES[t] for t in signature.results]
    )


def _type_text(params: list[Any], results: list[Any]) -> str:
    return f"({', '.join(map(str, params))}) -> ({', '.join(map(str, results))})"


class Dispatcher:
    """Builds linkers for one host and handles every call they route to it."""

    def __init__(self, host: ProxyWasmHost, profile: HostProfile, abi_version: str) -> None:
        self.host = host
        self.profile = profile
        self.table = profile.imports(abi_version)

    def linker(self, module: wasmtime.Module, store: wasmtime.Store, name: str) -> wasmtime.Linker:
        """A linker with every import ``module`` declares, or ``ModuleLoadError`` naming the first
        one Envoy would not link."""
        linker = wasmtime.Linker(ENGINE)
        linked: set[tuple[str, str]] = set()
        for imp in module.imports:
            where = f"{imp.module}.{imp.name}"
            if (imp.module, imp.name) in linked and isinstance(imp.type, wasmtime.FuncType):
                # a module may import one function twice (Go's wasip1 port imports fd_write twice);
                # Envoy links each import on its own, so both get the one definition (types checked below)
                self._check_type(name, imp, where)
                continue
            kind = type(imp.type).__name__.replace("Type", "").lower()
            if not isinstance(imp.type, wasmtime.FuncType):
                if self.profile.non_function_imports.get(kind) != "provided":
                    raise ModuleLoadError(
                        f"{name}: imports the {kind} {where}; Envoy links only functions here"
                    )
                linker.define(store, imp.module, imp.name, _provide(store, imp.type))
                continue
            signature = self.table.get((imp.module, imp.name))
            if signature is None:
                raise ModuleLoadError(
                    f"{name}: imports {where}, which Envoy does not provide "
                    f"(Envoy: 'Failed to load Wasm module due to a missing import: {where}')"
                )
            self._check_type(name, imp, where)
            is_wasi = self.profile.is_wasi_module(imp.module)
            function = (WASI_FUNCTIONS if is_wasi else ENV_FUNCTIONS).get(imp.name)
            binding = Binding(imp.module, imp.name, signature, function, is_wasi)
            define_import(linker, imp.module, imp.name, func_type(signature), self._entry(binding), store)
            linked.add((imp.module, imp.name))
        return linker

    def _check_type(self, name: str, imp: Any, where: str) -> None:
        signature = self.table[(imp.module, imp.name)]
        declared = _type_text(imp.type.params, imp.type.results)
        wanted = _type_text(list(signature.params), list(signature.results))
        if declared != wanted:
            raise ModuleLoadError(f"{name}: imports {where} as {declared}, but Envoy provides {wanted}")

    def _entry(self, binding: Binding):
        # the import's definition outlives the host in wasmtime's registry until its linker and stores
        # are gone; a weak reference lets a closed host be collected (and with it, the definition)
        dispatcher = weakref.ref(self)
        name, memory_error = binding.name, binding.memory_error
        implementation = binding.function.func if binding.function is not None else None

        def entry(caller: Handle, *args: int) -> Any:  # i32 arguments arrive unsigned (fastcall)
            live = dispatcher()
            if live is None:
                raise RuntimeError(f"{binding.module}.{binding.name} called after its host was closed")
            host = live.host
            vm = host.vm
            if (
                host.trace.enabled
                or vm.restriction is not None
                or host.faults.rules
                or implementation is None
            ):
                return live.dispatch(caller, binding, args)
            # the common case, recording off and nothing to check: ``dispatch`` in short
            if MEMORY_MOVES:
                vm.memory.view = None  # the guest ran since the host last looked at its memory
            host.trace.seq += 1  # numbered, not recorded
            context_id = host.effective_context_id or host.current_context_id  # ``context_for_call``
            context = None if context_id is None else host.contexts.get(context_id)
            try:
                result = implementation(Call(host, caller, None, context, name, host.current_callback), *args)
            except GuestMemoryError:
                result = memory_error
            return None if result is None else int(result)

        return entry

    def dispatch(self, caller: Handle, binding: Binding, args: tuple[int, ...]) -> Any:
        host = self.host
        vm = host.vm
        if MEMORY_MOVES:
            vm.memory.view = None  # the guest ran since the host last looked at its memory (``forget``)
        context_id = host.effective_context_id or host.current_context_id  # ``context_for_call``, inlined
        trace = host.trace
        if trace.enabled:
            record: CallRecord | Unrecorded = trace.record(
                binding.kind,
                binding.name,
                dict(zip(binding.arg_names, args, strict=True)),
                context_id,
                host.current_callback,
                vm.depth,
            )
        else:  # recording off: what the host function notes goes nowhere, the numbering goes on
            trace.skip()
            record = Unrecorded(binding.name, host.current_callback)
        restriction = vm.restriction
        if restriction is not None and (binding.module, binding.name) not in restriction[1]:
            record.notes.append(RESTRICTED)
            record.failure = f"restricted during {restriction[0]}"
            host.report_problem(RESTRICTED, f"{binding.module}.{binding.name} called during {restriction[0]}")
            raise RestrictedCallError(f"{binding.module}.{binding.name}", restriction[0])
        if host.faults.rules:
            injected = host.faults.take(
                binding.name,
                host.current_callback,
                lambda status: envoy_can_return(host, caller, binding.name, args, status),
            )
            if injected is not None:
                record.notes.append(INJECTED)
                return _done(record, binding, injected)
        function = binding.function
        if function is None:
            record.notes.append(UNIMPLEMENTED)
            host.report_problem(UNIMPLEMENTED, f"{binding.module}.{binding.name}")
            return _done(record, binding, binding.failure_result)
        context = None if context_id is None else host.contexts.get(context_id)
        try:
            result = function.func(
                Call(host, caller, record, context, binding.name, host.current_callback), *args
            )
        except GuestMemoryError as exc:
            record.args["memory_error"] = str(exc)
            result = binding.memory_error
        if result is None:
            return None
        value = int(result)
        if type(record) is not Unrecorded:  # ``_done``, inlined
            record.result = value
            record.result_name = (
                STATUS_NAMES.get(value) or str(value) if binding.kind == HOST else _errno_name(value)
            )
        return value


def _done(record: CallRecord | Unrecorded, binding: Binding, result: Any) -> Any:
    if result is None:
        return None
    value = int(result)
    if type(record) is Unrecorded:
        return value
    record.result = value
    record.result_name = status_name(value) if binding.kind == HOST else _errno_name(value)
    return value


def _errno_name(value: int) -> str:
    try:
        return WasiErrno(value).name
    except ValueError:
        return {WASI_NOSYS: "NOSYS"}.get(value, str(value))


def _provide(store: wasmtime.Store, wanted: Any) -> Any:
    """A memory or table for a module that imports one (Envoy provides them)."""
    if isinstance(wanted, wasmtime.MemoryType):
        return wasmtime.Memory(store, wanted)
    if isinstance(wanted, wasmtime.TableType):
        return wasmtime.Table(store, wanted, None)
    raise ModuleLoadError(f"cannot provide an import of type {wanted}")
