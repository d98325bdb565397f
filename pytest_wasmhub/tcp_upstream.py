"""A real TCP backend for network filters: it echoes every byte back and records what reached it, one
entry per connection. When the client half-closes, it sends what is left and half-closes too. Data
that contains ``RESET_REQUEST`` makes it reset that connection instead (a TCP RST), so a case can see
what a module does when the upstream side goes away. With ``unix_socket`` it listens on that Unix
socket instead of a loopback port (for an Envoy without network); there, closing with data left
unread is the reset (the peer reads ECONNRESET), so the reset request is peeked at, never consumed."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from dataclasses import dataclass, field

from .envoy.bootstrap import Address
from .unix_sockets import listen

RESET_REQUEST = b"wasmhub:upstream-reset"


@dataclass
class TcpConnection:
    """One connection the upstream accepted: the bytes that reached it, and how it ended."""

    received: bytearray = field(default_factory=bytearray)
    closed_by_peer: bool = False  # the client side (Envoy) half-closed or closed
    reset: bool = False


class TcpUpstream:
    def __init__(self, host: str = "127.0.0.1", *, unix_socket: str | os.PathLike[str] = "") -> None:
        self.unix_socket = os.fspath(unix_socket)
        self._server = listen(self.unix_socket) if self.unix_socket else socket.create_server((host, 0))
        self._server.settimeout(0.2)
        self.connections: list[TcpConnection] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="wasmhub-tcp-upstream", daemon=True)

    @property
    def address(self) -> Address:
        """(host, port), or the path of its Unix socket."""
        if self.unix_socket:
            return self.unix_socket
        host, port = self._server.getsockname()[:2]
        return host, port

    @property
    def received(self) -> bytes:
        """Every byte that reached the upstream, over all connections, in order of connection."""
        with self._lock:
            return b"".join(bytes(c.received) for c in self.connections)

    def clear(self) -> None:
        with self._lock:
            self.connections.clear()

    def start(self) -> TcpUpstream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        # wakes the accept() at once (EINVAL) instead of after its 0.2 s timeout
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=2)
        self._server.close()
        if self.unix_socket and os.path.exists(self.unix_socket):
            os.unlink(self.unix_socket)

    def __enter__(self) -> TcpUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            record = TcpConnection()
            with self._lock:
                self.connections.append(record)
            threading.Thread(target=self._echo, args=(client, record), daemon=True).start()

    def _echo(self, client: socket.socket, record: TcpConnection) -> None:
        client.settimeout(30)
        with client:
            try:
                while chunk := client.recv(65536, socket.MSG_PEEK):
                    with self._lock:
                        record.received += chunk
                    if RESET_REQUEST in record.received:
                        # TCP: SO_LINGER 0 makes close() send a reset, not a FIN; a Unix socket: the
                        # chunk left unread makes the close a reset
                        client.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                        )
                        record.reset = True
                        return
                    client.recv(len(chunk))  # consume what was peeked at
                    client.sendall(chunk)
                record.closed_by_peer = True
                client.shutdown(socket.SHUT_WR)
            except (ConnectionResetError, BrokenPipeError):
                record.reset = True
            except OSError:
                record.reset = True
