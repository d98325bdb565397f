"""The host side of the module's contexts: one root (plugin) context and one context per stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .grpc import GrpcDelivery
    from .messages import HttpCall, Response
    from .stream import Stream


@dataclass
class Context:
    id: int
    root_id: int  # the root context of a stream context; 0 for a root context

    @property
    def is_root(self) -> bool:
        return self.root_id == 0


@dataclass
class RootContext(Context):
    tick_period_ms: int = 0
    next_tick_ms: float | None = None
    done_pending: bool = False  # proxy_on_done returned false: the module will call proxy_done
    # set while proxy_on_http_call_response runs
    http_call: HttpCall | None = None
    http_call_response: Response | None = None
    grpc: GrpcDelivery | None = None  # set while a gRPC callback runs
    # what proxy_get_status reports (Envoy: 11 "reset" inside the response callback of a failed call)
    status: tuple[int, bytes] = (0, b"")


@dataclass
class HttpContext(Context):
    stream: Stream | None = None
    filter_state: dict[bytes, bytes] = field(default_factory=dict)  # proxy_set_property values
