"""The two directions of an HTTP stream as the filter sees them (what is pending, what the module can
reach, what passed), and how each starts: the request from the test, the response from the upstream or
a local reply."""

from __future__ import annotations

import functools
from collections import deque
from typing import TYPE_CHECKING

from .messages import HeaderMap, Response, to_bytes, to_text

if TYPE_CHECKING:
    from .host import ProxyWasmHost

# an empty HeaderMap without running ``__init__`` (a few are made per stream): set ``pairs`` next
new_map = functools.partial(object.__new__, HeaderMap)

SMALL = 1024
DECIMALS = tuple(str(n).encode() for n in range(SMALL))  # a status or a small length as a header value
NUMBERS = {text: n for n, text in enumerate(DECIMALS)}  # and back

_CALLBACK_NAMES = {
    kind: (f"proxy_on_{kind}_headers", f"proxy_on_{kind}_body", f"proxy_on_{kind}_trailers")
    for kind in ("request", "response")
}


class Direction:
    """The request or the response as it passes the filter."""

    __slots__ = ("buffer", "complete", "continue_requested", "forwarded_body", "forwarded_headers",
                 "forwarded_trailers", "headers", "headers_delivered", "headers_open", "held", "in_last_body",
                 "kind", "late_trailers", "on_body", "on_headers", "on_trailers", "pending", "pending_trailers",
                 "revoked", "trailers", "waiting_on")  # fmt: skip

    def __init__(self, kind: str, headers: HeaderMap, chunks: list[bytes], trailers: HeaderMap | None):
        self.kind = kind
        self.on_headers, self.on_body, self.on_trailers = _CALLBACK_NAMES[kind]
        self.headers = headers
        self.pending: deque[bytes] = deque(filter(None, chunks))  # empty chunks carry nothing
        self.pending_trailers = trailers if trailers is not None and trailers.pairs else None
        self.headers_delivered = False
        # what the module can reach right now (Envoy's request_headers_, request_body_buffer_, ...)
        self.headers_open = False
        self.buffer: bytearray | None = None
        self.trailers: HeaderMap | None = None
        self.in_last_body = False  # during the end-of-stream body callback: trailers may be added
        self.waiting_on: str | None = None
        self.continue_requested = False
        self.revoked = False  # proxy_continue_stream took the module's access away until the next callback
        # what passed the filter
        self.forwarded_headers: HeaderMap | None = None
        self.forwarded_body = bytearray()
        self.forwarded_trailers: HeaderMap | None = None
        self.late_trailers: HeaderMap | None = None  # the trailers as the module reaches them once sent
        self.held = False  # the module holds the body (StopIterationAndBuffer): the buffer limit applies
        self.complete = False

    @property
    def input_left(self) -> bool:
        return bool(self.pending) or self.pending_trailers is not None


def request_direction(
    method: str,
    path: str,
    authority: str,
    scheme: str,
    headers: HeaderMap,
    body: list[bytes],
    trailers: HeaderMap | None,
) -> Direction:
    first = new_map()
    text = str  # the usual type: encoded here, without a call of ``to_bytes`` each
    first.pairs = [
        (b":authority", authority.encode("utf-8", "surrogateescape") if type(authority) is text else to_bytes(authority)),
        (b":path", path.encode("utf-8", "surrogateescape") if type(path) is text else to_bytes(path)),
        (b":method", method.encode("utf-8", "surrogateescape") if type(method) is text else to_bytes(method)),
        (b":scheme", scheme.encode("utf-8", "surrogateescape") if type(scheme) is text else to_bytes(scheme)),
        *headers.pairs,
    ]  # fmt: skip
    return Direction("request", first, body, trailers)


def response_direction(reply: Response, chunk_size: int | None) -> Direction:
    headers = new_map()
    given = reply.headers if isinstance(reply.headers, HeaderMap) else HeaderMap(reply.headers)
    status = reply.status
    text = DECIMALS[status] if type(status) is int and 0 <= status < SMALL else str(status).encode()
    headers.pairs = [(b":status", text), *given.pairs]
    if reply.trailers is None and headers.get_first(b"content-length") is None:
        size = len(reply.body)
        headers.pairs.append((b"content-length", DECIMALS[size] if size < SMALL else str(size).encode()))
    trailers = reply.trailers if isinstance(reply.trailers, HeaderMap) or reply.trailers is None else None
    return Direction("response", headers, split(reply.body, chunk_size), trailers)


def local_reply_direction(status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> Direction:
    """Envoy's ``sendLocalReply``: status, content-length and text/plain for a body, then the module's
    headers (an empty reply gets its framing from the codec, see ``frame``)."""
    headers = HeaderMap([(":status", str(status))])
    if body:
        headers.add(b"content-length", str(len(body)).encode())
        headers.add(b"content-type", b"text/plain")
    for key, value in extra:
        headers.add(to_bytes(key), to_bytes(value))
    return Direction("response", headers, [body] if body else [], None)


def frame(headers: HeaderMap, head: bool, has_body: bool) -> None:
    """What Envoy's HTTP/1 codec adds to response headers that do not say how the body is framed
    (measured on 1.40): ``content-length: 0`` when the response ends with its headers, else (a body, or
    any answer to HEAD) ``transfer-encoding: chunked``."""
    for k, _ in headers.pairs:
        if k == b"content-length" or k == b"transfer-encoding":
            return
    if head or has_body:
        headers.add(b"transfer-encoding", b"chunked")
    else:
        headers.add(b"content-length", b"0")


def to_client(
    pairs: list[tuple[bytes, bytes]],
) -> tuple[bytes | None, bytes | None, bool, list[tuple[bytes, bytes]]]:
    """Response headers as they reach the client, in one walk: the first ``:status``, the first
    ``content-length``, whether the body's framing is given (see ``frame``), and the other headers."""
    status = length = None
    framed = False
    rest = []
    for pair in pairs:
        key = pair[0]
        if key == b":status":
            if status is None:
                status = pair[1]
            continue
        if key == b"content-length":
            framed = True
            if length is None:
                length = pair[1]
        elif key == b"transfer-encoding":
            framed = True
        rest.append(pair)
    return status, length, framed, rest


def check_length(host: ProxyWasmHost, d: Direction, found: bytes) -> None:
    """Envoy forwards a changed body without fixing ``content-length`` the module left behind; an
    HTTP/1 peer then reads the wrong number of bytes (Envoy 1.40 sent 4 of 9 rewritten bytes): a
    problem when ``found``, the first content-length that went on, says another length."""
    size = len(d.forwarded_body)
    if size < SMALL and found == DECIMALS[size]:
        return  # the usual case: it says the length, digit for digit
    declared = to_text(found)
    if declared.isdigit() and int(declared) != size:
        host.report_problem(
            "length_mismatch", f"the {d.kind} body is {size} bytes but content-length says {declared}"
        )


def split(body: bytes, chunk_size: int | None) -> list[bytes]:
    if not body:
        return []
    if not chunk_size:
        return [body]
    return [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
