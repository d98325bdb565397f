"""``proxy_http_call``: an HTTP callout, answered later by the test (or its handler) through
``proxy_on_http_call_response`` on the root context, as Envoy does (cpp-host calls the root's
``httpCall``; SDKs route the answer with ``proxy_set_effective_context``)."""

from __future__ import annotations

from .. import pairs
from ..codes import Status
from ..messages import HeaderMap
from .base import Call, env_function

_REQUIRED = (b":method", b":path", b":authority")


@env_function()
def proxy_http_call(
    call: Call,
    upstream_ptr: int,
    upstream_size: int,
    headers_ptr: int,
    headers_size: int,
    body_ptr: int,
    body_size: int,
    trailers_ptr: int,
    trailers_size: int,
    timeout_ms: int,
    return_token_ptr: int,
) -> int:
    upstream = call.read_text(upstream_ptr, upstream_size)
    body = call.read(body_ptr, body_size)
    headers = HeaderMap(_pairs(call.read(headers_ptr, headers_size)))
    trailers = HeaderMap(_pairs(call.read(trailers_ptr, trailers_size)))
    call.write_u32(return_token_ptr, 0)  # cpp-host checks the pointer before starting the call
    call.note(upstream=upstream, headers=headers.items(), body=body, timeout_ms=timeout_ms)
    host = call.host
    root = host.root_of(call.context)
    if timeout_ms >= 1 << 31 or root is None:  # a negative int in Envoy
        return Status.BAD_ARGUMENT
    if host.clusters is not None and upstream not in host.clusters:
        call.note(unknown_cluster=upstream)
        return Status.BAD_ARGUMENT
    if any(headers.get_first(name) is None for name in _REQUIRED):
        call.note(missing=[n.decode() for n in _REQUIRED if headers.get_first(n) is None])
        return Status.BAD_ARGUMENT
    if body:
        headers.replace(b"content-length", str(len(body)).encode())
    if headers.get_first(b"x-envoy-internal") is None:
        headers.add(b"x-envoy-internal", b"true")  # Envoy's async client marks its requests (measured)
    token = host.dispatch_http_call(root, upstream, headers, body, trailers, timeout_ms)
    call.write_u32(return_token_ptr, token)
    call.note(token=token)
    return Status.OK


def _pairs(data: bytes) -> list[tuple[bytes, bytes]]:
    try:
        return pairs.decode(data)
    except pairs.PairsFormatError:
        return []  # cpp-host's toPairs: unreadable bytes are an empty map
