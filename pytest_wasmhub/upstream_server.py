"""A small HTTP/1.1 server for the recording upstream: one thread per connection, keep-alive, request
bodies by Content-Length or chunked, on a loopback port or a Unix socket.

Envoy keeps its upstream connections open, so a server that closes after every answer (werkzeug's
development server does) makes Envoy connect anew for each request; and parsing a request here costs
a tenth of what a WSGI stack costs, in the same process as the suite's cases.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import BinaryIO
from urllib.parse import unquote

LINE_LIMIT = 65536  # a request or header line longer than this is refused (400)


@dataclass(frozen=True)
class ParsedRequest:
    method: str
    path: str  # percent-decoded, one leading slash (as a WSGI server's PATH_INFO)
    query: str  # as sent
    headers: tuple[tuple[str, str], ...]  # in order; a repeated header once, values joined by ","
    body: bytes


# (status, headers, body) for a request
Handler = Callable[[ParsedRequest], tuple[int, dict[str, str], bytes]]


class BadRequest(Exception):
    pass


class UpstreamServer:
    """``start()`` listens on ``host:port`` (0: a free port) or ``unix_socket``; ``stop()`` closes
    the listener and every connection."""

    def __init__(
        self, handler: Handler, host: str = "127.0.0.1", port: int = 0, unix_socket: str = ""
    ) -> None:
        self.handler = handler
        self.host, self.port, self.unix_socket = host, port, unix_socket
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if self.unix_socket:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if os.path.exists(self.unix_socket):
                os.unlink(self.unix_socket)
            listener.bind(self.unix_socket)
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            self.port = listener.getsockname()[1]
        listener.listen(256)
        self._listener = listener
        self._spawn(self._accept_loop, listener)

    def is_running(self) -> bool:
        return self._listener is not None

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="wasmhub-upstream")
        thread.start()
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # stopped
            with self._lock:
                self._connections.add(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        if conn.family == socket.AF_INET:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader: BinaryIO = conn.makefile("rb", buffering=65536)
        try:
            while self._answer(conn, reader):
                pass
        except (OSError, ValueError):
            pass  # the peer went away, or we are stopping
        finally:
            with self._lock:
                self._connections.discard(conn)
            reader.close()
            conn.close()

    def _answer(self, conn: socket.socket, reader: BinaryIO) -> bool:
        """Read one request and answer it; False when the connection is to end."""
        line = reader.readline(LINE_LIMIT + 1)
        while line in (b"\r\n", b"\n"):  # stray line breaks between requests
            line = reader.readline(LINE_LIMIT + 1)
        if not line:
            return False
        try:
            request, version, wants_close = _read_request(line, reader, conn)
        except BadRequest as bad:
            _send(conn, 400, {"content-type": "text/plain"}, str(bad).encode(), head=False, close=True)
            return False
        try:
            status, headers, body = self.handler(request)
        except Exception as exc:  # a reply the test set up wrongly: say so to Envoy, keep serving others
            message = f"the upstream's handler failed: {exc!r}".encode()
            _send(conn, 500, {"content-type": "text/plain"}, message, head=False, close=True)
            return False
        close = wants_close or version != "HTTP/1.1"
        _send(conn, status, headers, body, head=request.method == "HEAD", close=close)
        return not close


def _read_request(line: bytes, reader: BinaryIO, conn: socket.socket) -> tuple[ParsedRequest, str, bool]:
    if len(line) > LINE_LIMIT:
        raise BadRequest("request line too long")
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise BadRequest(f"not an HTTP request line: {line[:80]!r}")
    method, target, version = parts
    names: dict[str, str] = {}  # lower-case name -> the name as a WSGI server shows it
    values: dict[str, list[str]] = {}
    while True:
        header = reader.readline(LINE_LIMIT + 1)
        if len(header) > LINE_LIMIT:
            raise BadRequest("header line too long")
        if header in (b"\r\n", b"\n", b""):
            break
        name, colon, value = header.decode("latin-1").partition(":")
        if not colon or not name.strip():
            raise BadRequest(f"not a header line: {header[:80]!r}")
        key = name.strip().lower()
        names.setdefault(key, name.strip().title())
        values.setdefault(key, []).append(value.strip())
    headers = {key: ",".join(found) for key, found in values.items()}
    if headers.get("expect", "").lower() == "100-continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = _read_body(reader, headers)
    path, _, query = target.partition("?")
    if "://" in path:  # absolute form: the path after the authority
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    request = ParsedRequest(
        method=method,
        path="/" + unquote(path, errors="replace").lstrip("/"),
        query=query,
        headers=tuple((names[key], value) for key, value in headers.items()),
        body=body,
    )
    # a body framed by Content-Length ends the connection: a module may have changed the header but not
    # the body, and bytes past it must not become the next request (a server closing after every answer
    # reads exactly Content-Length bytes too, and drops the rest)
    framed_by_length = (
        "content-length" in headers and "chunked" not in headers.get("transfer-encoding", "").lower()
    )
    wants_close = "close" in headers.get("connection", "").lower() or framed_by_length
    return request, version, wants_close


def _read_body(reader: BinaryIO, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size_line = reader.readline(LINE_LIMIT + 1)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BadRequest(f"bad chunk size line: {size_line[:80]!r}") from None
            if size == 0:
                while reader.readline(LINE_LIMIT + 1) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: not recorded
                return b"".join(chunks)
            chunks.append(_read_exactly(reader, size))
            reader.readline(LINE_LIMIT + 1)  # the chunk's line break
    length = headers.get("content-length", "")
    if not length:
        return b""
    if not length.isdigit():
        raise BadRequest(f"bad content-length: {length[:40]!r}")
    return _read_exactly(reader, int(length))


def _read_exactly(reader: BinaryIO, size: int) -> bytes:
    data = reader.read(size)
    if len(data) != size:
        raise OSError("the peer closed in the middle of a body")
    return data


def _send(
    conn: socket.socket, status: int, headers: dict[str, str], body: bytes, *, head: bool, close: bool
) -> None:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {status} {reason}"]
    given = {name.lower() for name in headers}
    if "content-type" not in given:
        lines.append("Content-Type: text/plain; charset=utf-8")
    no_body = status < 200 or status in (204, 304)
    if "content-length" not in given and not no_body:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if close:
        lines.append("Connection: close")
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    conn.sendall(head_bytes if head or no_body else head_bytes + body)
