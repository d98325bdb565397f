"""The clock and the timer: ``proxy_get_current_time_nanoseconds``, ``proxy_set_tick_period_milliseconds``."""

from __future__ import annotations

from ..codes import Status
from .base import Call, env_function


@env_function()
def proxy_get_current_time_nanoseconds(call: Call, return_time_ptr: int) -> int:
    call.write_u64(return_time_ptr, call.host.clock.realtime_ns)
    return Status.OK


@env_function()
def proxy_set_tick_period_milliseconds(call: Call, period_ms: int) -> int:
    root = call.host.root_of(call.context)
    if root is None:
        call.unavailable("no plugin context to tick")
        return Status.BAD_ARGUMENT
    root.tick_period_ms = period_ms
    root.next_tick_ms = call.host.clock.monotonic_ms + period_ms if period_ms else None
    call.note(root_context=root.id)
    return Status.OK
