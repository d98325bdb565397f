"""gRPC callouts and streams (``proxy_grpc_call``/``proxy_grpc_stream``): what the module sent, how the
answer reaches its root context, and Envoy's reading of the service argument.

Envoy reads the service as a serialized ``envoy.config.core.v3.GrpcService``; bytes that do not parse
as one are taken as a cluster's name (the Rust SDK passes just the name), PARSE_FAILURE when no cluster
has it; a GrpcService naming a cluster Envoy does not have is INTERNAL_FAILURE (measured on 1.36, 1.40). A unary
answer arrives as ``proxy_on_grpc_receive``, a failed call or the end of a stream as
``proxy_on_grpc_close``, metadata as ``proxy_on_grpc_receive_{initial,trailing}_metadata``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .contexts import RootContext
from .messages import HeaderMap

if TYPE_CHECKING:
    from .host import ProxyWasmHost

DEADLINE_EXCEEDED = 4  # the gRPC status of a call whose timeout passed


class GrpcServiceError(ValueError):
    """The service argument is not a serialized GrpcService message."""


@dataclass
class GrpcCall:
    """A gRPC call (``stream`` False) or stream the module opened."""

    token: int
    cluster: str
    service: str
    method: str
    metadata: HeaderMap
    messages: list[bytes]  # what the module sent: a call's one request, a stream's messages so far
    context_id: int  # the root context that gets the answer
    deadline_ms: float | None
    stream: bool = False
    half_closed: bool = False  # the module ended its side (end_stream or proxy_grpc_close)
    answered: bool = False

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.method}"

    @property
    def body(self) -> bytes:
        """The messages as they go on the wire: each with gRPC's 5-byte prefix (uncompressed, length)."""
        return b"".join(b"\0" + len(m).to_bytes(4, "big") + m for m in self.messages)

    @property
    def ready(self) -> bool:
        """Whether the upstream can answer it now: a call at once, a stream once the module is done."""
        return not self.answered and (not self.stream or self.half_closed)


@dataclass
class GrpcReply:
    """An upstream's answer: ``status`` 0 with ``messages``, or a gRPC error status and ``message``."""

    status: int = 0
    messages: tuple[bytes, ...] = ()
    message: str = ""
    initial_metadata: Any = ()
    trailing_metadata: Any = ()


@dataclass
class GrpcDelivery:
    """What the root context can read while a gRPC callback runs."""

    message: bytes = b""
    metadata: HeaderMap = field(default_factory=HeaderMap)
    metadata_kind: str = ""  # "initial" | "trailing" | ""


def cluster_of(service: bytes) -> str | None:
    """The ``envoy_grpc.cluster_name`` of a serialized GrpcService; None when it names no Envoy cluster
    (a Google gRPC target); ``GrpcServiceError`` when the bytes are no such message."""
    for number, value in _fields(service):
        if number == 1 and isinstance(value, bytes):  # envoy_grpc
            for inner, name in _fields(value):
                if inner == 1 and isinstance(name, bytes):  # cluster_name
                    return name.decode("utf-8", "replace")
            return ""
    return None


def _fields(data: bytes) -> Iterable[tuple[int, bytes | int]]:
    position = 0
    found = []
    while position < len(data):
        key, position = _varint(data, position)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise GrpcServiceError("field number 0")
        if wire == 0:
            value, position = _varint(data, position)
        elif wire == 1 or wire == 5:
            size = 8 if wire == 1 else 4
            if position + size > len(data):
                raise GrpcServiceError("truncated fixed field")
            value, position = int.from_bytes(data[position : position + size], "little"), position + size
        elif wire == 2:
            size, position = _varint(data, position)
            if position + size > len(data):
                raise GrpcServiceError("truncated length-delimited field")
            value, position = data[position : position + size], position + size
        else:
            raise GrpcServiceError(f"wire type {wire}")
        found.append((number, value))
    return found


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if position >= len(data) or shift > 63:
            raise GrpcServiceError("truncated varint")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position


def deliver(host: ProxyWasmHost, call: GrpcCall, reply: GrpcReply) -> None:
    """Run the root context's gRPC callbacks for an answer, as Envoy's gRPC client handlers do."""
    call.answered = True
    root = host.contexts.get(call.context_id)
    if not isinstance(root, RootContext):
        return
    try:
        if reply.initial_metadata:
            _callback(
                host, root, call, "proxy_on_grpc_receive_initial_metadata", reply.initial_metadata, "initial"
            )
        # a stream hands over each message as it arrives, whatever status ends it; a call only on success
        for message in reply.messages if reply.status == 0 or call.stream else ():
            root.grpc = GrpcDelivery(message=message)
            host.async_callback("proxy_on_grpc_receive", root.id, call.token, len(message))
        if reply.trailing_metadata:
            _callback(
                host,
                root,
                call,
                "proxy_on_grpc_receive_trailing_metadata",
                reply.trailing_metadata,
                "trailing",
            )
        if call.stream or reply.status != 0:
            root.status = (reply.status, reply.message.encode())
            host.async_callback("proxy_on_grpc_close", root.id, call.token, reply.status)
    finally:
        root.grpc = None
        root.status = (0, b"")


def _callback(
    host: ProxyWasmHost, root: RootContext, call: GrpcCall, name: str, pairs: Any, kind: str
) -> None:
    metadata = HeaderMap(pairs)
    root.grpc = GrpcDelivery(metadata=metadata, metadata_kind=kind)
    host.async_callback(name, root.id, call.token, len(metadata))


def open_call(host: ProxyWasmHost, root: RootContext, call: GrpcCall) -> int:
    """Register a call or stream the module opened; its token."""
    call.token = host.next_callout_token()
    host.pending_grpc_calls[call.token] = call
    return call.token


def settle(host: ProxyWasmHost) -> bool:
    """Let the handler answer the calls that are ready; whether any was."""
    handler = host.options.grpc_call_handler
    progressed = False
    if handler is None:
        return False
    for token, call in list(host.pending_grpc_calls.items()):
        if call.ready:
            reply = handler(call)
            if reply is not None:
                answer(host, token, reply)
                progressed = True
    return progressed


def answer(host: ProxyWasmHost, token: int, reply: GrpcReply) -> None:
    call = host.pending_grpc_calls.pop(token)
    deliver(host, call, reply)
