"""Buffers: ``proxy_get_buffer_bytes``, ``proxy_set_buffer_bytes``, ``proxy_get_buffer_status``, and
ABI 0.1.0's ``proxy_get_configuration``.

Bodies are visible while their callback runs or while the module buffers them (Envoy's
``request_body_buffer_`` / decoding buffer); elsewhere Envoy hands out an empty buffer. Writes follow
Envoy's ``Buffer::copyFrom``: start 0 replaces (size >= length) or prepends (size 0), start >= length
appends, anything else is BAD_ARGUMENT.
"""

from __future__ import annotations

from ..codes import BufferType, Status
from ..contexts import HttpContext
from .base import Call, env_function

_MAX_BUFFER_TYPE = max(BufferType)
_BODIES = {BufferType.HTTP_REQUEST_BODY: "request", BufferType.HTTP_RESPONSE_BODY: "response"}


def _body(call: Call, kind: BufferType) -> bytearray | None:
    context = call.context
    stream = context.stream if isinstance(context, HttpContext) else None
    if stream is None or stream.log_phase:
        return None
    d = stream.request if _BODIES[kind] == "request" else stream.response
    if d is None or d.revoked:
        return None
    return d.buffer


def find_buffer(call: Call, buffer_type: int) -> tuple[bytes | bytearray | None, bool]:
    """(contents or None when the buffer does not exist here, whether the module may write it)."""
    kind = BufferType(buffer_type)
    host = call.host
    if kind in _BODIES:
        body = _body(call, kind)
        if body is None:
            call.unavailable(f"{kind.name} is not available here")
            return b"", False  # Envoy: an empty buffer, not NOT_FOUND
        return body, True
    if kind == BufferType.VM_CONFIGURATION:
        return host.vm_configuration, False
    if kind == BufferType.PLUGIN_CONFIGURATION:
        return (host.plugin_configuration, False) if host.configuring else (None, False)
    if kind == BufferType.HTTP_CALL_RESPONSE_BODY:
        root = host.root_of(call.context)
        response = None if root is None else root.http_call_response
        return (None, False) if response is None else (response.body, False)
    if kind == BufferType.GRPC_CALL_MESSAGE:
        root = host.root_of(call.context)
        delivery = None if root is None else root.grpc
        return (delivery.message if delivery is not None else b""), False
    if kind in (BufferType.DOWNSTREAM_DATA, BufferType.UPSTREAM_DATA):
        connection = getattr(call.context, "connection", None)  # a network (TCP) stream's context
        if connection is not None:
            data = (
                connection.downstream_data if kind == BufferType.DOWNSTREAM_DATA else connection.upstream_data
            )
            return data, True
    return b"", False  # foreign-function arguments, L4 data outside a connection: nothing here


@env_function()
def proxy_get_buffer_bytes(
    call: Call,
    buffer_type: int,
    start: int,
    max_size: int,
    return_buffer_ptr_ptr: int,
    return_buffer_size_ptr: int,
) -> int:
    if buffer_type > _MAX_BUFFER_TYPE:
        return Status.BAD_ARGUMENT
    call.note(buffer=BufferType(buffer_type).name)
    data, _ = find_buffer(call, buffer_type)
    if data is None:
        return Status.NOT_FOUND
    if start > len(data):
        return Status.BAD_ARGUMENT
    chunk = bytes(data[start : start + max_size])
    if not chunk:
        return Status.OK  # cpp-host writes nothing back for an empty read
    call.note(bytes=len(chunk))
    call.give(chunk, return_buffer_ptr_ptr, return_buffer_size_ptr)
    return Status.OK


@env_function()
def proxy_get_buffer_status(call: Call, buffer_type: int, return_size_ptr: int, return_flags_ptr: int) -> int:
    if buffer_type > _MAX_BUFFER_TYPE:
        return Status.BAD_ARGUMENT
    call.note(buffer=BufferType(buffer_type).name)
    data, _ = find_buffer(call, buffer_type)
    if data is None:
        return Status.NOT_FOUND
    call.write_u32(return_size_ptr, len(data))
    call.write_u32(return_flags_ptr, 0)  # cpp-host always reports flags 0
    return Status.OK


@env_function()
def proxy_set_buffer_bytes(
    call: Call, buffer_type: int, start: int, size: int, value_ptr: int, value_size: int
) -> int:
    if buffer_type > _MAX_BUFFER_TYPE:
        return Status.BAD_ARGUMENT
    value = call.read(value_ptr, value_size)
    call.note(buffer=BufferType(buffer_type).name, value=value)
    data, writable = find_buffer(call, buffer_type)
    if data is None:
        return Status.NOT_FOUND
    if not writable or not isinstance(data, bytearray):
        return Status.BAD_ARGUMENT
    if start == 0:
        if size == 0:
            data[0:0] = value
        elif size >= len(data):
            data[:] = value
        else:
            return Status.BAD_ARGUMENT
    elif start >= len(data):
        data += value
    else:
        return Status.BAD_ARGUMENT
    return Status.OK


@env_function()
def proxy_get_configuration(call: Call, return_buffer_ptr_ptr: int, return_buffer_size_ptr: int) -> int:
    host = call.host
    data = host.plugin_configuration if host.configuring else host.vm_configuration
    call.give(data, return_buffer_ptr_ptr, return_buffer_size_ptr)
    return Status.OK
