"""``proxy_log`` and ``proxy_get_log_level``."""

from __future__ import annotations

from ..codes import LogLevel, Status
from .base import Call, env_function

_MAX_LEVEL = max(LogLevel)


@env_function()
def proxy_log(call: Call, level: int, message_ptr: int, message_size: int) -> int:
    if level > _MAX_LEVEL:
        return Status.BAD_ARGUMENT
    message = call.read_text(message_ptr, message_size)
    call.note(level=LogLevel(level).name, message=message)
    call.host.log(level, message, "proxy_log")
    return Status.OK


@env_function()
def proxy_get_log_level(call: Call, return_level_ptr: int) -> int:
    call.write_u32(return_level_ptr, call.host.log_level)
    return Status.OK
