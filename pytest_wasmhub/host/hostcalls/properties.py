"""``proxy_get_property`` and ``proxy_set_property``; the values come from ``..properties``."""

from __future__ import annotations

from ..codes import Status
from ..contexts import HttpContext
from ..properties import UnserializableProperty
from .base import Call, env_function


@env_function()
def proxy_get_property(
    call: Call, path_ptr: int, path_size: int, return_value_ptr_ptr: int, return_value_size_ptr: int
) -> int:
    path = call.read(path_ptr, path_size)
    parts = path.split(b"\0")
    call.note(path=".".join(p.decode("utf-8", "replace") for p in parts))
    try:
        value = call.host.properties.lookup(call.context, parts)
    except UnserializableProperty:
        return Status.SERIALIZATION_FAILURE
    if value is None:
        return Status.NOT_FOUND
    call.note(value=value)
    call.give(value, return_value_ptr_ptr, return_value_size_ptr)
    return Status.OK


@env_function()
def proxy_set_property(call: Call, path_ptr: int, path_size: int, value_ptr: int, value_size: int) -> int:
    path = call.read(path_ptr, path_size)
    value = call.read(value_ptr, value_size)
    call.note(path=path, value=value)
    context = call.context
    if not isinstance(context, HttpContext):
        return Status.NOT_FOUND  # Envoy: no stream info outside a stream
    context.filter_state[path] = value
    return Status.OK
