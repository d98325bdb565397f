"""Access to the guest's linear memory, bounds-checked the way the host must: a bad pointer from the
guest is its own error (the host call returns INVALID_MEMORY_ACCESS), never a host crash.

Memory the host hands to the guest is allocated by the guest itself. Envoy (cpp-host ``getFunctions``)
and nginx look up ``malloc`` first and fall back to ``proxy_on_memory_allocate``, the reverse of the
spec's order (docs/host-facts.md#start-up-restrictions); the host follows the profile's ``allocator_lookup``.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable
from typing import Any

import wasmtime

from .errors import GuestMemoryError, ProxyCrashError
from .fastcall import Handle, memory_address, memory_ref, memory_size

Storelike = Handle  # see fastcall.store_handle


# wasmtime can be told that linear memory never moves (the default reservation of 4 GiB holds any
# 32-bit memory): then the view made when it was last looked at stays valid however the guest ran since,
# only perhaps shorter than memory is now, and most host calls need no FFI call to find memory
MEMORY_STAYS = hasattr(wasmtime.Config, "memory_may_move")
MEMORY_MOVES = not MEMORY_STAYS  # then whoever lets the guest run sets ``GuestMemory.view`` to None


class GuestMemory:
    """Reads and writes one instance's exported ``memory``; ``allocate`` calls the guest's allocator."""

    def __init__(self, memory: wasmtime.Memory | None, allocate: Callable[[Storelike, int], int]) -> None:
        self._memory = memory  # None: the module has none, and Envoy crashes at its first host call
        self._ref: Any = None if memory is None else memory_ref(memory)
        self._allocate = allocate
        # linear memory as a memoryview, looked up once per host call: it changes only when the guest
        # runs (memory.grow), so where memory can move, whoever lets the guest run sets ``view`` to None
        # (see ``forget``); where it stays in place, the view serves until an access goes past it
        self.view: memoryview | None = None
        self._mapped: tuple[int, memoryview] | None = None  # (size, view) last made

    def forget(self) -> None:
        """The guest ran: linear memory may have grown or moved since it was last looked at."""
        self.view = None

    def current(self, store: Storelike) -> memoryview:
        """Linear memory as last seen (``ProxyCrashError`` for a module without one): all of it, or, when
        it cannot move, perhaps less than it has grown to since (``fresh`` looks)."""
        view = self.view
        if view is None:
            mapped = self._mapped
            if mapped is not None and MEMORY_STAYS:
                view = self.view = mapped[1]
            else:
                view = self.fresh(store)
        return view

    def fresh(self, store: Storelike) -> memoryview:
        """All of linear memory now."""
        if self._memory is None:
            self._check(store, 0, 0)  # raises
        # one FFI call: memory moves only when it grows, so the same size means the same place
        size = memory_size(store, self._ref)
        mapped = self._mapped
        if mapped is None or mapped[0] != size:
            base = memory_address(store, self._ref) if size else 0
            array = (ctypes.c_ubyte * size).from_address(base) if size else bytearray()
            mapped = self._mapped = (size, memoryview(array).cast("B"))
        view = self.view = mapped[1]
        return view

    def size(self, store: Storelike) -> int:
        return 0 if self._memory is None else len(self.fresh(store))

    def _check(self, store: Storelike, ptr: int, size: int) -> None:
        if self._memory is None:
            raise ProxyCrashError(
                "the module has no memory: Envoy segfaults (the whole process, any policy) at its first "
                "host call that passes data"
            )
        if (
            ptr < 0
            or size < 0
            or (ptr + size > len(self.current(store)) and ptr + size > len(self.fresh(store)))
        ):
            raise GuestMemoryError(f"[{ptr:#x}, +{size}) is outside linear memory")

    def read(self, store: Storelike, ptr: int, size: int) -> bytes:
        view = self.view
        if view is None:
            if self._memory is None:
                self._check(store, ptr, size)  # raises
            view = self.current(store)
        if ptr < 0 or size < 0 or (ptr + size > len(view) and ptr + size > len(view := self.fresh(store))):
            raise GuestMemoryError(f"[{ptr:#x}, +{size}) is outside linear memory")
        return view[ptr : ptr + size].tobytes()

    def write(self, store: Storelike, ptr: int, data: bytes) -> None:
        self._check(store, ptr, len(data))
        if data:
            self.current(store)[ptr : ptr + len(data)] = data

    def read_u32(self, store: Storelike, ptr: int) -> int:
        return struct.unpack("<I", self.read(store, ptr, 4))[0]

    def write_u32(self, store: Storelike, ptr: int, value: int) -> None:
        self.write(store, ptr, struct.pack("<I", value & 0xFFFFFFFF))

    def write_u64(self, store: Storelike, ptr: int, value: int) -> None:
        self.write(store, ptr, struct.pack("<Q", value & 0xFFFFFFFFFFFFFFFF))

    def allocate(self, store: Storelike, size: int) -> int:
        """Ask the guest for ``size`` bytes. A null or out-of-bounds answer is a memory error."""
        ptr = self._allocate(store, size) & 0xFFFFFFFF
        if MEMORY_MOVES:
            self.view = None  # the allocator ran guest code
        if ptr == 0 or ptr + size > self.size(store):
            raise GuestMemoryError(f"the guest allocator returned {ptr:#x} for {size} bytes")
        return ptr

    def give(self, store: Storelike, data: bytes, ptr_ptr: int, size_ptr: int) -> None:
        """Copy ``data`` into freshly allocated guest memory and write its address and size to the
        guest's out-pointers. Empty data is returned as (0, 0) without allocating, like cpp-host."""
        # check the out-pointers first so a bad pointer does not leak an allocation
        self._check(store, ptr_ptr, 4)
        self._check(store, size_ptr, 4)
        ptr = 0
        if data:
            ptr = self.allocate(store, len(data))
            self.write(store, ptr, data)
        self.write_u32(store, ptr_ptr, ptr)
        self.write_u32(store, size_ptr, len(data))
