"""Shared key-value data and shared queues. One instance can be handed to several hosts to play
several VMs (or workers) of one proxy; keys and queue names are scoped by ``vm_id`` as in cpp-host."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


class SharedData:
    """``proxy_get/set_shared_data``: values with a compare-and-swap number (cpp-host ``SharedData``)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, bytes], tuple[bytes, int]] = {}
        self._next_cas = 1

    def get(self, vm_id: str, key: bytes) -> tuple[bytes, int] | None:
        return self._values.get((vm_id, key))

    def set(self, vm_id: str, key: bytes, value: bytes, cas: int) -> bool:
        """Store ``value``; False when ``cas`` is non-zero and not the current one (CAS_MISMATCH)."""
        current = self._values.get((vm_id, key))
        if current is not None and cas and cas != current[1]:
            return False
        self._values[(vm_id, key)] = (value, self._take_cas())
        return True

    def _take_cas(self) -> int:
        cas = self._next_cas
        self._next_cas = (self._next_cas + 1) & 0xFFFFFFFF or 1
        return cas


@dataclass
class SharedQueue:
    token: int
    vm_id: str
    name: str
    context_id: int  # the root context told by proxy_on_queue_ready
    notify: Callable[[int, int], None]  # (context_id, token), queued on the owning host
    items: deque[bytes] = field(default_factory=deque)


class SharedQueues:
    """``proxy_register/resolve/enqueue/dequeue_shared_queue``."""

    def __init__(self) -> None:
        self._by_token: dict[int, SharedQueue] = {}
        self._by_name: dict[tuple[str, str], SharedQueue] = {}
        self._next_token = 1

    def register(self, vm_id: str, name: str, context_id: int, notify: Callable[[int, int], None]) -> int:
        queue = self._by_name.get((vm_id, name))
        if queue is None:
            queue = SharedQueue(self._next_token, vm_id, name, context_id, notify)
            self._next_token += 1
            self._by_name[(vm_id, name)] = queue
            self._by_token[queue.token] = queue
        queue.context_id, queue.notify = context_id, notify
        return queue.token

    def resolve(self, vm_id: str, name: str) -> int | None:
        queue = self._by_name.get((vm_id, name))
        return None if queue is None else queue.token

    def exists(self, token: int) -> bool:
        return token in self._by_token

    def enqueue(self, token: int, value: bytes) -> bool:
        queue = self._by_token.get(token)
        if queue is None:
            return False
        queue.items.append(value)
        queue.notify(queue.context_id, token)
        return True

    def dequeue(self, token: int) -> tuple[bool, bytes | None]:
        """(queue exists, item or None when empty)."""
        queue = self._by_token.get(token)
        if queue is None:
            return False, None
        return True, queue.items.popleft() if queue.items else None
