"""The VM's life as Envoy runs it: load (link, type-check the exports), start-up (``_initialize`` then
``main``/``__main_void``, or ``_start``, with only the profile's allowed calls), the root lifecycle from
the profile (``proxy_on_context_create`` -> ``proxy_on_vm_start`` -> ``proxy_on_configure``), the end
of each stream, and shutdown (``proxy_on_done``, then ``proxy_on_delete`` now or after ``proxy_done``).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import wasmtime

from pytest_wasmhub.abi import load_abi

from .codes import MapType
from .contexts import RootContext
from .errors import ModuleLoadError, StartError
from .stream import CallbackFailed
from .vm import Vm, compile_module

if TYPE_CHECKING:
    from .host import ProxyWasmHost
    from .stream import Stream


def load_vm(host: ProxyWasmHost) -> Vm:
    """A fresh instance of the module, refused the way Envoy refuses it."""
    module = compile_module(host.module_data, host.module_name)
    check_exports(host, module)
    return Vm(
        module,
        lambda store: host.dispatcher.linker(module, store, host.module_name),
        host.module_name,
        fuel=host.options.fuel_per_callback,
        memory_limit=host.options.memory_limit_bytes,
    )


def check_exports(host: ProxyWasmHost, module: wasmtime.Module) -> None:
    profile, version, name = host.profile, host.abi_version, host.module_name
    abi = load_abi(version)
    exported = {e.name: e.type for e in module.exports if isinstance(e.type, wasmtime.FuncType)}

    def check(export: str, expected) -> None:
        actual = exported[export]
        have = ([str(t) for t in actual.params], [str(t) for t in actual.results])
        if have != (list(expected.params), list(expected.results)):
            raise ModuleLoadError(
                f"{name}: exports {export} as ({', '.join(have[0])}) -> ({', '.join(have[1])}), "
                f"Envoy wants {expected} (Envoy: 'Bad function signature for: {export}')"
            )

    allocator = next((a for a in profile.allocator_lookup if a in exported), None)
    if allocator is None:
        raise ModuleLoadError(
            f"{name}: exports neither {' nor '.join(profile.allocator_lookup)}; the host cannot hand it data "
            "(Envoy: 'Wasm module is missing malloc function.')"
        )
    check(allocator, abi.callbacks[allocator])
    for callback, signature in profile.callbacks(version).items():
        if callback in exported:
            check(callback, signature)
    start_up = (
        profile.start_with_initialize if "_initialize" in exported else profile.start_without_initialize
    )
    signatures = profile.start_up_signatures(version)
    for export in start_up:
        if export in exported and export in signatures:
            check(export, signatures[export])
    for export in module.exports:
        if (
            isinstance(export.type, wasmtime.MemoryType)
            and export.type.limits.min > profile.max_initial_memory_pages
        ):
            raise ModuleLoadError(
                f"{name}: its memory starts at {export.type.limits.min} pages, over Envoy's limit of "
                f"{profile.max_initial_memory_pages}"
            )


def start_vm(host: ProxyWasmHost) -> None:
    """Run start-up and the root lifecycle; ``StartError`` where Envoy would refuse to start."""
    vm, profile = host.vm, host.profile
    sequence = profile.start_with_initialize if vm.has("_initialize") else profile.start_without_initialize
    restriction = ("start-up", profile.start_up_allowed)
    called_main = False
    for export in sequence:
        if not vm.has(export) or (export == "__main_void" and called_main):
            continue
        args = (0, 0) if export == "main" else ()
        try:
            host.invoke(export, None, *args, restriction=restriction)
        except CallbackFailed as failed:
            raise StartError(
                f"{host.module_name}: start-up failed in {failed.failure.describe().splitlines()[0]}",
                failed.failure,
            ) from None
        called_main = called_main or export == "main"
    root = RootContext(host.next_context_id(), 0)
    host.contexts[root.id] = root
    host.root = root
    for callback in profile.root_lifecycle:
        _root_callback(host, root, callback)


def _root_callback(host: ProxyWasmHost, root: RootContext, callback: str) -> None:
    sizes = {
        "proxy_on_vm_start": len(host.vm_configuration),
        "proxy_on_configure": len(host.plugin_configuration),
    }
    args = (root.id, 0) if callback == "proxy_on_context_create" else (root.id, sizes.get(callback, 0))
    host.configuring = callback == "proxy_on_configure"
    try:
        value = host.invoke(callback, root.id, *args, default=1)
    except CallbackFailed as failed:
        raise StartError(
            f"{host.module_name}: {failed.failure.describe().splitlines()[0]}", failed.failure
        ) from None
    finally:
        host.configuring = False
    if callback != "proxy_on_context_create" and value == 0:
        what = "start base Wasm" if callback == "proxy_on_vm_start" else "configure base Wasm plugin"
        raise StartError(f"{host.module_name}: {callback} returned false (Envoy: 'Failed to {what}')")


def end_stream(host: ProxyWasmHost, stream: Stream) -> None:
    """The end-of-stream callbacks, in the profile's order (Envoy HTTP: log, done, delete)."""
    context = stream.context
    if context.id in host.contexts and host.vm_failure is None:
        exported = host.vm.functions
        for callback in host.end_of_stream:
            if callback not in exported and host.vm_failure is None:
                continue  # what ``invoke`` does for a callback the module does not export, in short
            stream.log_phase = callback == "proxy_on_log"
            if stream.log_phase:  # the maps are read only in the access-log phase
                stream.log_maps = _log_maps(stream)
            try:
                host.call_export(callback, context.id, (context.id,), 1)
            except CallbackFailed as failed:
                stream.result.failure = stream.result.failure or failed.failure
                break
            finally:
                stream.log_phase = False
        stream.log_phase = False
    host.contexts.pop(context.id, None)
    host.forget_stream(stream)
    # the context is gone, and no host call reaches it: without its link back, the stream and what it
    # holds are freed when the test drops them, not left to the cycle collector (5% of a stream)
    context.stream = None


def _log_maps(stream: Stream):
    """What ``proxy_on_log`` can read: the request as it went upstream and the response as sent."""
    maps = {MapType.HTTP_REQUEST_HEADERS: stream.request.forwarded_headers or stream.request.headers}
    response = stream.response
    if response is not None and response.forwarded_headers is not None:
        maps[MapType.HTTP_RESPONSE_HEADERS] = response.forwarded_headers
        if response.forwarded_trailers is not None:
            maps[MapType.HTTP_RESPONSE_TRAILERS] = response.forwarded_trailers
    return maps


def shut_down(host: ProxyWasmHost) -> None:
    """Envoy's ``startShutdown``: ``proxy_on_done`` on the root; true deletes it now, false waits for
    the module's ``proxy_done``."""
    root = host.root
    if root is None or host.vm_failure is not None or root.id not in host.contexts:
        return
    try:
        done = host.invoke("proxy_on_done", root.id, root.id, default=1)
        if done:
            finish_root(host, root)
        else:
            root.done_pending = True
    except CallbackFailed:
        pass  # the failure is recorded; nothing more to call on a failed VM


def finish_root(host: ProxyWasmHost, root: RootContext) -> None:
    root.done_pending = False
    with contextlib.suppress(CallbackFailed):  # the failure is recorded; the root goes anyway
        host.invoke("proxy_on_delete", root.id, root.id)
    host.contexts.pop(root.id, None)
