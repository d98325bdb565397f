"""Unix-socket relays to loopback TCP services the bootstrap names, for an Envoy without network.

The container backend gives Envoy no network at all; the suite's own upstreams listen on Unix sockets
in a directory shared with the container. A cluster the *bootstrap* points at a TCP address (an
``--envoy-cluster auth=127.0.0.1:9000`` of the operator's, a spec built by hand) is reached through a
relay: a socket in that directory whose every connection this process forwards to that one address.
The module cannot add to them: only the suite's configuration makes relays, never a module's call.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

from ..unix_sockets import listen

_CHUNK = 65536


class TcpRelay:
    """Accepts on the Unix socket ``path``; each connection is piped both ways to ``target``."""

    def __init__(self, path: Path, target: tuple[str, int]) -> None:
        self.path = path
        self.target = target
        self._server = listen(str(path))
        self._server.settimeout(0.2)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="wasmhub-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=2)
        self._server.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                inner, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._relay, args=(inner,), daemon=True).start()

    def _relay(self, inner: socket.socket) -> None:
        inner.settimeout(None)
        try:
            outer = socket.create_connection(self.target, timeout=5)
        except OSError:
            inner.close()  # Envoy sees the refusal as a closed connection (upstream connect failure)
            return
        outer.settimeout(None)
        back = threading.Thread(target=_pipe, args=(outer, inner), daemon=True)
        back.start()
        _pipe(inner, outer)
        back.join()
        inner.close()
        outer.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy until ``source`` ends, then half-close ``sink`` (a FIN stays a FIN, a reset a close)."""
    try:
        while chunk := source.recv(_CHUNK):
            sink.sendall(chunk)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
