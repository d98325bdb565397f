"""Bytes through a network (TCP) filter: one connection to Envoy's listener with the module, in front of
the recording TCP upstream, judged like HTTP requests: by what came back and Envoy's own failure lines
(a trap in ``proxy_on_downstream_data``), never by what the module logged."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from .envoy.handle import EnvoyHandle, describe_exit
from .envoy.logs import Trap, traps
from .timing import timed


@dataclass(frozen=True)
class ConnectionOutcome:
    sent: int
    received: bytes  # what came back to the client
    ended: str  # "closed" (the peer closed after the data), "open" (still open at the deadline), "reset"
    trap: Trap | None
    died: str  # how Envoy ended, when it did
    seconds: float

    @property
    def failed(self) -> bool:
        return self.trap is not None or bool(self.died)

    def reason(self, what: str) -> str:
        if self.died:
            return f"isolation broken: Envoy died ({self.died}) during {what}"
        if self.trap is not None:
            return f"{what}: the module trapped in {self.trap.describe()}"
        return f"{what}: {len(self.received)} of {self.sent} bytes came back; the connection was {self.ended}"


def exchange_bytes(
    envoy: EnvoyHandle,
    data: bytes,
    *,
    timeout: float,
    half_close: bool = True,
    expect: int | None = None,
    listener: str = "",
) -> ConnectionOutcome:
    """Send ``data`` on a new connection (then half-close it), read until the peer closes, ``expect``
    bytes came back, or ``timeout``; judge the connection by Envoy's log."""
    before = len(envoy.log_entries())
    started = time.monotonic()
    received = bytearray()
    ended = "open"
    with timed("request"), envoy.tcp(listener, timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            deadline = started + timeout
            while time.monotonic() < deadline and (expect is None or len(received) < expect):
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    ended = "closed"
                    break
                received += chunk
        except TimeoutError:
            ended = "open"
        except OSError:  # reset, broken pipe, or Envoy closed it before the half-close (not connected)
            ended = "reset"
    seconds = time.monotonic() - started
    code = envoy.exit_after_reset() if ended == "reset" else envoy.exit_code()
    found = traps(envoy.log_entries()[before:])
    died = describe_exit(code) if code is not None else ""
    return ConnectionOutcome(len(data), bytes(received), ended, found[0] if found else None, died, seconds)
