"""Unix domain sockets the suite serves on or connects to, for an Envoy that has no network."""

from __future__ import annotations

import os
import socket

# connecting to a Unix socket needs write permission on it: Envoy may run as another user (the
# container's 65534) than the suite
OPEN_TO_ALL = 0o666


def open_to_all(path: str) -> None:
    os.chmod(path, OPEN_TO_ALL)


def listen(path: str) -> socket.socket:
    """A listening stream socket at ``path`` that any local user may connect to."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
        open_to_all(path)
        server.listen(128)
    except BaseException:
        server.close()
        raise
    return server


def connect(path: str, timeout: float | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return sock
