"""Many GET requests at once over plain sockets: HTTP/2 streams multiplexed on one connection, HTTP/1.1
requests on a connection each, driven by the protocol state machines httpx itself is built on (``h2``,
``h11``) and one ``selectors`` loop.

httpx's asyncio client spent ~60 ms of CPU on a batch of 80 such streams through Envoy (64 HTTP/2, 16
HTTP/1.1; the upstream's share included), this loop ~22 ms. The answers are ``httpx.Response``
objects, and what went wrong is an ``httpx`` exception (``ReadTimeout`` when the bound ran out,
``RemoteProtocolError`` for a reset or a closed connection, ``ConnectError``), so that they are judged
exactly as the suite's other requests are.
"""

from __future__ import annotations

import functools
import selectors
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h11
import httpx

Answer = httpx.Response | Exception
_READ = 65536


@dataclass(frozen=True)
class BatchRequest:
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    http2: bool = False


@dataclass
class _Pending:
    """What has arrived for one request so far."""

    request: BatchRequest
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)


class _Connection:
    """One socket and the requests it carries; ``feed`` returns the requests it finished."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.outgoing = bytearray()
        self.open: dict[int, _Pending] = {}

    def feed(self, data: bytes) -> list[tuple[int, Answer]]:
        raise NotImplementedError

    def failed(self, error: Exception) -> list[tuple[int, Answer]]:
        finished = [(key, error) for key in self.open]
        self.open.clear()
        return finished


class _Http2(_Connection):
    def __init__(self, sock: socket.socket, authority: str, requests: dict[int, BatchRequest]) -> None:
        super().__init__(sock)
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self.h2.initiate_connection()
        self.stream_of: dict[int, int] = {}  # stream id -> request key
        for key, request in requests.items():
            stream = self.h2.get_next_available_stream_id()
            head = [
                (":method", "GET"),
                (":path", request.path),
                (":scheme", "http"),
                (":authority", authority),
            ]
            self.h2.send_headers(stream, [*head, *request.headers], end_stream=True)
            self.stream_of[stream] = key
            self.open[key] = _Pending(request)
        self.outgoing += self.h2.data_to_send()

    def feed(self, data: bytes) -> list[tuple[int, Answer]]:
        if not data:
            return self.failed(httpx.RemoteProtocolError("Envoy closed the HTTP/2 connection"))
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as error:
            return self.failed(httpx.RemoteProtocolError(f"HTTP/2 protocol error: {error}"))
        finished: list[tuple[int, Answer]] = []
        for event in events:
            key = self.stream_of.get(getattr(event, "stream_id", 0) or 0, -1)
            pending = self.open.get(key)  # None: a connection-level event, or a stream already answered
            if isinstance(event, h2.events.ConnectionTerminated):
                finished += self.failed(httpx.RemoteProtocolError(f"Envoy ended the connection: {event}"))
            elif pending is None:
                continue
            elif isinstance(event, h2.events.ResponseReceived):
                pending.status = int(dict(event.headers)[b":status"])
                pending.headers = [(k, v) for k, v in event.headers if not k.startswith(b":")]
            elif isinstance(event, h2.events.DataReceived):
                pending.body += event.data
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                finished.append((key, _response(self.open.pop(key), b"HTTP/2")))
            elif isinstance(event, h2.events.StreamReset):
                del self.open[key]
                finished.append(
                    (key, httpx.RemoteProtocolError(f"Envoy reset the stream ({event.error_code!r})"))
                )
        self.outgoing += self.h2.data_to_send()
        return finished


class _Http1(_Connection):
    def __init__(self, sock: socket.socket, authority: str, key: int, request: BatchRequest) -> None:
        super().__init__(sock)
        self.h11 = h11.Connection(h11.CLIENT)
        self.key = key
        head = h11.Request(method="GET", target=request.path, headers=[("Host", authority), *request.headers])
        self.outgoing += self.h11.send(head) + self.h11.send(h11.EndOfMessage())
        self.open[key] = _Pending(request)

    def feed(self, data: bytes) -> list[tuple[int, Answer]]:
        pending = self.open[self.key]
        self.h11.receive_data(data)
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as error:
                return self.failed(httpx.RemoteProtocolError(f"HTTP/1.1 protocol error: {error}"))
            if event is h11.NEED_DATA:
                if not data:  # the connection closed before the response was complete
                    return self.failed(
                        httpx.RemoteProtocolError("Envoy closed the connection without a response")
                    )
                return []
            if isinstance(event, h11.Response):
                pending.status, pending.headers = event.status_code, list(event.headers)
            elif isinstance(event, h11.Data):
                pending.body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return [(self.key, _response(self.open.pop(self.key), b"HTTP/1.1"))]
            elif isinstance(event, h11.ConnectionClosed):
                return self.failed(
                    httpx.RemoteProtocolError("Envoy closed the connection without a response")
                )


def _response(pending: _Pending, version: bytes) -> httpx.Response:
    return httpx.Response(
        pending.status or 0,
        headers=pending.headers,
        content=bytes(pending.body),
        request=httpx.Request("GET", "http://wasmhub" + pending.request.path),
        extensions={"http_version": version},
    )


def send_batch(
    connect: Callable[[], socket.socket], authority: str, requests: Sequence[BatchRequest], bound: float
) -> list[Answer]:
    """Send every request at once and wait, at most ``bound`` seconds in all, for every answer; one
    answer (a response or the error) per request, in order."""
    deadline = time.monotonic() + bound
    answers: dict[int, Answer] = {}
    connections: list[_Connection] = []
    h2_requests = {key: request for key, request in enumerate(requests) if request.http2}
    # the requests each connection carries, and how to make it once its socket is open
    plans: list[tuple[list[int], Callable[[socket.socket], _Connection]]] = []
    if h2_requests:
        plans.append(
            (list(h2_requests), functools.partial(_Http2, authority=authority, requests=h2_requests))
        )
    for key, request in enumerate(requests):
        if not request.http2:
            plans.append(([key], functools.partial(_Http1, authority=authority, key=key, request=request)))
    for keys, make in plans:
        try:
            sock = connect()
        except OSError as error:
            failure = httpx.ConnectError(f"could not connect to Envoy: {error}")
            answers.update((key, failure) for key in keys)
            continue
        sock.setblocking(False)
        connections.append(make(sock))
    with selectors.DefaultSelector() as selector:
        try:
            _drive(selector, connections, answers, deadline)
        finally:
            for connection in connections:
                connection.sock.close()
    timeout = httpx.ReadTimeout(f"no answer within {bound:g} s (the bound of the whole batch)")
    return [answers.get(key, timeout) for key in range(len(requests))]


def _drive(
    selector: selectors.BaseSelector,
    connections: list[_Connection],
    answers: dict[int, Answer],
    deadline: float,
) -> None:
    for connection in connections:
        selector.register(connection.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, connection)
    live = {id(c): c for c in connections}
    while live:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        for key, mask in selector.select(left):
            connection: _Connection = key.data
            finished: list[tuple[int, Answer]] = []
            if mask & selectors.EVENT_WRITE and connection.outgoing:
                try:
                    sent = connection.sock.send(connection.outgoing)
                    del connection.outgoing[:sent]
                except BlockingIOError:
                    pass
                except OSError as error:
                    finished = connection.failed(httpx.RemoteProtocolError(f"sending failed: {error}"))
            if mask & selectors.EVENT_READ and connection.open:
                try:
                    finished += connection.feed(connection.sock.recv(_READ))
                except BlockingIOError:
                    pass
                except OSError as error:  # a reset
                    finished += connection.failed(
                        httpx.RemoteProtocolError(f"the connection failed: {error}")
                    )
            answers.update(finished)
            if not connection.open:
                selector.unregister(connection.sock)
                del live[id(connection)]
            else:
                events = selectors.EVENT_READ | (selectors.EVENT_WRITE if connection.outgoing else 0)
                selector.modify(connection.sock, events, connection)
