"""Network (TCP) streams in the in-process host, in Envoy's order for a network filter before
``tcp_proxy``: ``proxy_on_context_create``, ``proxy_on_new_connection``, then for each piece of data
``proxy_on_downstream_data`` (client to upstream) or ``proxy_on_upstream_data`` (back), and at the end
``proxy_on_downstream_connection_close`` / ``proxy_on_upstream_connection_close``, ``proxy_on_done`` and
``proxy_on_delete``. The data of the callback running is buffer 2 or 3 (``proxy_get_buffer_bytes``,
writable with ``proxy_set_buffer_bytes``); a callback that returns Pause holds its data until one that
continues."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .contexts import Context
from .errors import GuestFailure
from .stream import CallbackFailed

if TYPE_CHECKING:
    from .host import ProxyWasmHost

CONTINUE = 0
PEER_LOCAL, PEER_REMOTE = 1, 2  # proxy_peer_type_t


def echo(data: bytes) -> bytes:
    """The default upstream: sends back what it gets."""
    return data


@dataclass
class NetworkContext(Context):
    connection: Connection | None = None


@dataclass
class Connection:
    """One connection through the module. ``to_upstream``/``to_client``: what the module let through."""

    host: ProxyWasmHost
    context: NetworkContext
    upstream: Callable[[bytes], bytes] = echo
    to_upstream: bytearray = field(default_factory=bytearray)
    to_client: bytearray = field(default_factory=bytearray)
    downstream_data: bytearray = field(default_factory=bytearray)  # buffer 2 while its callbacks run
    upstream_data: bytearray = field(default_factory=bytearray)  # buffer 3
    failure: GuestFailure | None = None
    closed: bool = False

    def send(self, data: bytes, end_of_stream: bool = False) -> bytes:
        """Client data through the module to the upstream, and the upstream's answer back through it;
        returns what reached the client this time."""
        before = len(self.to_client)
        if self.failure is not None or self.closed:
            return b""
        self.downstream_data += data
        if self._call("proxy_on_downstream_data", len(self.downstream_data), end_of_stream) != CONTINUE:
            return b""
        sent, self.downstream_data[:] = bytes(self.downstream_data), b""
        self.to_upstream += sent
        answer = self.upstream(sent) if sent else b""
        if answer:
            self.upstream_data += answer
            if self._call("proxy_on_upstream_data", len(self.upstream_data), end_of_stream) == CONTINUE:
                self.to_client += self.upstream_data
                self.upstream_data[:] = b""
        return bytes(self.to_client[before:])

    def close(self) -> None:
        """The client closes: both close callbacks, then the context is done and deleted."""
        if self.closed:
            return
        self.closed = True
        if self.failure is None:
            self._call("proxy_on_downstream_connection_close", PEER_REMOTE)
            self._call("proxy_on_upstream_connection_close", PEER_LOCAL)
            self._call("proxy_on_done")
            self._call("proxy_on_delete")
        self.host.contexts.pop(self.context.id, None)

    def _call(self, name: str, *args: int) -> int:
        try:
            result = self.host.invoke(name, self.context.id, self.context.id, *args, default=CONTINUE)
        except CallbackFailed as failed:
            self.failure = failed.failure
            return -1
        return CONTINUE if result is None else result


def open_connection(host: ProxyWasmHost, upstream: Callable[[bytes], bytes] = echo) -> Connection:
    """A new connection: the module creates its context and sees ``proxy_on_new_connection``."""
    root_id = host.root.id if host.root else 0
    context = NetworkContext(host.next_context_id(), root_id)
    connection = Connection(host, context, upstream)
    context.connection = connection
    host.contexts[context.id] = context
    connection._call("proxy_on_context_create", root_id)
    if connection.failure is None:
        connection._call("proxy_on_new_connection")
    return connection
