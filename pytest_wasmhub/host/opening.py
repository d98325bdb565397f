"""How an HTTP stream starts: the request as Envoy's connection manager hands it to the filter chain
(``x-forwarded-proto``, ``x-request-id``, a ``content-length`` for a body), the stream context, and
``proxy_on_context_create``; then the stream runs as far as the module lets it."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .contexts import HttpContext
from .directions import new_map, request_direction, split
from .errors import HostError
from .messages import HeaderMap, Response, UpstreamRequest, to_bytes
from .stream import CallbackFailed, Stream

if TYPE_CHECKING:
    from .host import ProxyWasmHost

_DEFAULT_RESPONSE = Response(200)


def open_stream(
    host: ProxyWasmHost,
    method: str,
    path: str,
    headers: Any,
    body: bytes | str | list[bytes],
    trailers: Any,
    authority: str,
    scheme: str,
    upstream: Response | Callable[[UpstreamRequest], Response] | None,
    chunk_size: int | None,
) -> Stream:
    """``ProxyWasmHost.start_request``."""
    if not host.started:
        host.start()
    if host.closed:
        raise HostError(f"{host.module_name}: the host is closed")
    if isinstance(body, (list, tuple)):
        chunks = [to_bytes(c) for c in body]
    else:
        chunks = split(to_bytes(body), chunk_size) if body else []
    if headers is None:  # the usual case: an empty map, without ``__init__``
        request_headers = new_map()
        request_headers.pairs = []
    else:
        request_headers = HeaderMap(headers)
    pairs = request_headers.pairs
    given = bool(pairs)  # none given (the usual case): neither of the two below is there
    if chunks and trailers is None and b"content-length" not in dict(pairs):
        pairs.append((b"content-length", str(sum(map(len, chunks))).encode()))
    if not given or request_headers.get_first(b"x-forwarded-proto") is None:
        pairs.append((b"x-forwarded-proto", scheme.encode()))
    if not given or request_headers.get_first(b"x-request-id") is None:
        pairs.append((b"x-request-id", request_id()))
    trailer_map = HeaderMap(trailers) if trailers is not None else None
    context = HttpContext(host.next_context_id(), host.root.id if host.root else 0)
    direction = request_direction(method, path, authority, scheme, request_headers, chunks, trailer_map)
    stream = Stream(host, context, direction, _upstream(host, upstream))
    context.stream = stream
    stream.trace_mark, stream.log_mark = host.trace.seq + 1, len(host.logs)  # ``next_seq()``
    if host.vm_failure is not None and not host.recover():
        stream.bypass() if host.policy.bypasses_later_streams else stream.fail_closed()
        return stream
    host.contexts[context.id] = context
    host.open_streams.append(stream)
    try:
        host.call_export("proxy_on_context_create", context.id, (context.id, context.root_id))
    except CallbackFailed as failed:
        stream.fail(failed.failure)
    else:
        stream.run()
    host.settle()
    return stream


def _upstream(host: ProxyWasmHost, upstream: Any) -> Response | Callable[[UpstreamRequest], Response]:
    chosen = upstream if upstream is not None else host.options.upstream
    # none: 200, no headers, no body (nothing changes a Response the host sends)
    return chosen if chosen is not None else _DEFAULT_RESPONSE


def request_id() -> bytes:
    """A random (version 4) UUID, as Envoy puts in ``x-request-id``; not for secrets. Made a batch at a
    time: formatting one on its own costs more than the rest of a stream's request headers."""
    if not _request_ids:
        _request_ids.extend(_new_request_ids())
    return _request_ids.pop()


_BATCH = 256
_request_ids: list[bytes] = []
# per 128 bits: 4 bits of version (4) and 2 of variant (10), the other 122 random
_KEEP = ((1 << 128) - 1) & ~(0xF << 76) & ~(0x3 << 62)
_SET = (0x4 << 76) | (0x2 << 62)
_KEEPS = sum(_KEEP << (128 * i) for i in range(_BATCH))
_SETS = sum(_SET << (128 * i) for i in range(_BATCH))
_PLACES = [j + (j >= 8) + (j >= 12) + (j >= 16) + (j >= 20) for j in range(32)]  # digit -> its place


def _new_request_ids() -> list[bytes]:
    bits = random.getrandbits(128 * _BATCH) & _KEEPS | _SETS
    digits = bits.to_bytes(16 * _BATCH, "big").hex().encode()  # 32 digits per UUID
    text = bytearray(b"-" * (37 * _BATCH))  # 8-4-4-4-12 digits and a space per UUID
    for digit, place in enumerate(_PLACES):  # a column at a time, every UUID at once
        text[place::37] = digits[digit::32]
    text[36::37] = b" " * _BATCH
    return bytes(text).split()
