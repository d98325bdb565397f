"""Shared data and shared queues, scoped by the plugin's ``vm_id`` like cpp-host's global stores."""

from __future__ import annotations

from ..codes import Status
from .base import Call, env_function


@env_function()
def proxy_get_shared_data(
    call: Call,
    key_ptr: int,
    key_size: int,
    return_value_ptr_ptr: int,
    return_value_size_ptr: int,
    return_cas_ptr: int,
) -> int:
    key = call.read(key_ptr, key_size)
    call.note(key=key)
    found = call.host.shared_data.get(call.host.vm_id, key)
    if found is None:
        return Status.NOT_FOUND
    value, cas = found
    call.note(value=value, cas=cas)
    call.give(value, return_value_ptr_ptr, return_value_size_ptr)
    call.write_u32(return_cas_ptr, cas)
    return Status.OK


@env_function()
def proxy_set_shared_data(
    call: Call, key_ptr: int, key_size: int, value_ptr: int, value_size: int, cas: int
) -> int:
    key = call.read(key_ptr, key_size)
    value = call.read(value_ptr, value_size)
    call.note(key=key, value=value)
    if not call.host.shared_data.set(call.host.vm_id, key, value, cas):
        return Status.CAS_MISMATCH
    return Status.OK


@env_function()
def proxy_register_shared_queue(call: Call, name_ptr: int, name_size: int, return_queue_id_ptr: int) -> int:
    name = call.read_text(name_ptr, name_size)
    root = call.host.root_of(call.context)
    if root is None:
        call.unavailable("no plugin context to notify")
        return Status.BAD_ARGUMENT
    token = call.host.shared_queues.register(call.host.vm_id, name, root.id, call.host.queue_ready)
    call.write_u32(return_queue_id_ptr, token)
    call.note(name=name, queue_id=token)
    return Status.OK


@env_function()
def proxy_resolve_shared_queue(
    call: Call, vm_id_ptr: int, vm_id_size: int, name_ptr: int, name_size: int, return_queue_id_ptr: int
) -> int:
    vm_id = call.read_text(vm_id_ptr, vm_id_size)
    name = call.read_text(name_ptr, name_size)
    call.note(vm_id=vm_id, name=name)
    token = call.host.shared_queues.resolve(vm_id, name)
    if token is None:
        return Status.NOT_FOUND
    call.write_u32(return_queue_id_ptr, token)
    return Status.OK


@env_function()
def proxy_enqueue_shared_queue(call: Call, queue_id: int, value_ptr: int, value_size: int) -> int:
    value = call.read(value_ptr, value_size)
    call.note(value=value)
    if not call.host.shared_queues.enqueue(queue_id, value):
        return Status.NOT_FOUND
    return Status.OK


@env_function()
def proxy_dequeue_shared_queue(
    call: Call, queue_id: int, return_value_ptr_ptr: int, return_value_size_ptr: int
) -> int:
    exists, value = call.host.shared_queues.dequeue(queue_id)
    if not exists:
        return Status.NOT_FOUND
    if value is None:
        return Status.EMPTY
    call.note(value=value)
    call.give(value, return_value_ptr_ptr, return_value_size_ptr)
    return Status.OK
