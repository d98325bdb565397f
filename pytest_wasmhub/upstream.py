"""The backend Envoy routes to: a real HTTP server on loopback (or on a Unix socket, for an Envoy
without network) that records every request.

By default it answers 200 and echoes the request body, so a test sees both what the module did to the
request (``upstream.requests``) and to the response (what the client got back).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from .envoy.bootstrap import Address
from .httpclient import plain_client, unix_transport
from .unix_sockets import open_to_all

ECHO = object()  # respond_with(body=ECHO): send the request body back


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it reached the upstream, after Envoy and the module."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), default)

    @property
    def header_names(self) -> set[str]:
        return {k.lower() for k, _ in self.headers}


class _QuickStopServer(HTTPServer):
    """pytest-httpserver's server, polling for shutdown every 50 ms instead of 500 ms."""

    def thread_target(self) -> None:  # the documented way to tailor the serving loop
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.05)

    def start(self) -> None:
        super().start()
        if self.host.startswith("unix://"):
            # Envoy may run as another user (the container's 65534): it needs write permission to connect
            open_to_all(self.host.removeprefix("unix://"))


@dataclass
class _Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: object = ECHO


class Upstream:
    """A recording HTTP server. Use ``start``/``stop`` or ``with Upstream() as up:``; with
    ``unix_socket`` it listens there instead of on a loopback port."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, unix_socket: str | os.PathLike[str] = ""
    ) -> None:
        self.unix_socket = os.fspath(unix_socket)
        if self.unix_socket:
            host, port = "unix://" + self.unix_socket, 0  # werkzeug's notation for a Unix socket
        self._server = _QuickStopServer(host, port, threaded=True)
        self._server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._reply = _Reply()

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def address(self) -> Address:
        """(host, port), or the path of its Unix socket."""
        return self.unix_socket or (self.host, self.port)

    @property
    def url(self) -> str:
        """Its URL (on a Unix socket, only a name: reach it with ``client()``)."""
        if self.unix_socket:
            return "http://upstream.unix-socket.invalid"
        return f"http://{self.host}:{self.port}"

    def client(self, timeout: float = 10.0) -> httpx.Client:
        """An HTTP client that reaches the upstream directly (not through Envoy), on TCP or its socket."""
        transport = unix_transport(self.unix_socket) if self.unix_socket else None
        return plain_client(self.url, timeout=timeout, transport=transport)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        requests = self.requests
        if not requests:
            raise LookupError("no request has reached the upstream")
        return requests[-1]

    def respond_with(
        self, status: int = 200, headers: Mapping[str, str] | None = None, body: bytes | str | object = ECHO
    ) -> None:
        """What the upstream answers from now on (default: 200 echoing the request body)."""
        self._reply = _Reply(status, dict(headers or {}), body)

    def clear(self) -> None:
        """Forget recorded requests and go back to the default echo reply."""
        with self._lock:
            self._requests.clear()
        self._reply = _Reply()

    def start(self) -> Upstream:
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server.is_running():
            self._server.stop()
        if self.unix_socket and os.path.exists(self.unix_socket):
            os.unlink(self.unix_socket)

    def __enter__(self) -> Upstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, request: Request) -> Response:
        body = request.get_data()
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            headers=tuple((k, v) for k, v in request.headers.items()),
            body=body,
        )
        with self._lock:
            self._requests.append(recorded)
        reply = self._reply
        payload = body if reply.body is ECHO else reply.body
        return Response(payload, status=reply.status, headers=reply.headers)
