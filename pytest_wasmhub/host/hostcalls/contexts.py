"""Context control and odds and ends: ``proxy_done``, ``proxy_set_effective_context``,
``proxy_get_status``, ``proxy_call_foreign_function``, and the two extra ``env`` functions cpp-host links."""

from __future__ import annotations

from ..codes import Status
from ..contexts import RootContext
from .base import Call, env_function


@env_function()
def proxy_done(call: Call) -> int:
    context = call.context
    if not isinstance(context, RootContext) or not context.done_pending:
        return Status.NOT_FOUND
    call.host.finish_root_shutdown(context)
    return Status.OK


@env_function()
def proxy_set_effective_context(call: Call, context_id: int) -> int:
    if context_id not in call.host.contexts:
        return Status.BAD_ARGUMENT
    call.host.effective_context_id = context_id
    return Status.OK


@env_function()
def proxy_get_status(
    call: Call, return_code_ptr: int, return_message_ptr_ptr: int, return_message_size_ptr: int
) -> int:
    root = call.host.root_of(call.context)
    code, message = root.status if root is not None else (0, b"")
    call.write_u32(return_code_ptr, code)
    call.give(message, return_message_ptr_ptr, return_message_size_ptr)
    call.note(code=code, message=message)
    return Status.OK


@env_function()
def proxy_call_foreign_function(
    call: Call,
    name_ptr: int,
    name_size: int,
    arguments_ptr: int,
    arguments_size: int,
    return_results_ptr_ptr: int,
    return_results_size_ptr: int,
) -> int:
    name = call.read_text(name_ptr, name_size)
    arguments = call.read(arguments_ptr, arguments_size)
    call.note(function=name, arguments=arguments)
    function = call.host.foreign_functions.get(name)
    if function is None:
        return Status.NOT_FOUND
    results = function(arguments)
    call.give(results, return_results_ptr_ptr, return_results_size_ptr)
    return Status.OK


@env_function()
def pthread_equal(call: Call, left: int, right: int) -> int:
    return int(left == right)


@env_function()
def emscripten_notify_memory_growth(call: Call, memory_index: int) -> None:
    return None
