"""The backend Envoy routes to: a real HTTP server on loopback (or on a Unix socket, for an Envoy
without network) that records every request.

By default it answers 200 and echoes the request body, so a test sees both what the module did to the
request (``upstream.requests``) and to the response (what the client got back).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from .envoy.bootstrap import Address
from .httpclient import plain_client, unix_transport
from .unix_sockets import open_to_all
from .upstream_server import ParsedRequest, UpstreamServer

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
        self._server = UpstreamServer(self._handle, host, port, self.unix_socket)
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
        if self.unix_socket:
            # Envoy may run as another user (the container's 65534): it needs write permission to connect
            open_to_all(self.unix_socket)
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

    def _handle(self, request: ParsedRequest) -> tuple[int, dict[str, str], bytes]:
        recorded = RecordedRequest(request.method, request.path, request.query, request.headers, request.body)
        with self._lock:
            self._requests.append(recorded)
        reply = self._reply
        payload = request.body if reply.body is ECHO else reply.body
        if isinstance(payload, str):
            payload = payload.encode()
        assert isinstance(payload, bytes), f"an upstream body is bytes or text, not {type(payload).__name__}"
        return reply.status, reply.headers, payload
