"""The record of every call across the host/module boundary: callbacks into the module, host calls out
of it (with decoded arguments and the result), in order, with the callback each host call came from."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

CALLBACK = "callback"
HOST = "host"  # an ``env`` import
WASI = "wasi"

# notes a record can carry
UNIMPLEMENTED = "unimplemented"  # the host has no implementation: it returned UNIMPLEMENTED / ENOSYS
RESTRICTED = "restricted"  # forbidden in this phase: the VM trapped
INJECTED = "injected"  # the result was forced by a test (see ``ProxyWasmHost.inject_status``)
UNAVAILABLE = "unavailable"  # the call targets something that does not exist in this callback
INVALID_RESULT = "invalid_result"  # a callback returned a value outside the ABI's set


@dataclass(slots=True)  # no __dict__ each: a trace holds up to 2 x trace_limit of them
class CallRecord:
    seq: int
    kind: str
    name: str
    args: dict[str, Any]
    context_id: int | None = None  # callbacks: the context argument; host calls: the effective context
    within: str | None = None  # host calls: the callback they were made from
    depth: int = 0
    result: Any = None
    result_name: str | None = None  # e.g. "NOT_FOUND" for a status, "PAUSE" for an action
    notes: list[str] = field(default_factory=list)
    failure: str | None = None  # the trap message when this call did not return

    def describe(self) -> str:
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.args.items())
        arrow = "->" if self.kind == CALLBACK else "<-"
        result = self.failure or (self.result_name or _short(self.result))
        notes = f"  [{', '.join(self.notes)}]" if self.notes else ""
        ctx = f" ctx={self.context_id}" if self.context_id is not None else ""
        return f"{self.seq:5d} {'  ' * self.depth}{arrow} {self.name}({args}){ctx} = {result}{notes}"


_new_record = object.__new__


class Unrecorded:
    """What a host call annotates while recording is off: its decoded arguments and notes go nowhere."""

    __slots__ = ("args", "failure", "name", "notes", "within")

    def __init__(self, name: str, within: str | None) -> None:
        self.name, self.within = name, within
        self.args: dict[str, Any] = {}
        self.notes: list[str] = []
        self.failure: str | None = None


class Trace:
    """Every record since the host started (or the last ``clear``); ``limit`` keeps only the newest."""

    def __init__(self, limit: int | None = None) -> None:
        self.records: list[CallRecord] = []
        self.limit = limit
        self.seq = 0  # the number of the last call numbered (recorded or not)
        self.enabled = True

    def add(self, record: CallRecord) -> CallRecord:
        self.seq += 1
        record.seq = self.seq
        if self.enabled:
            self.records.append(record)
            if self.limit is not None and len(self.records) > 2 * self.limit:
                del self.records[: len(self.records) - self.limit]
        return record

    def record(
        self,
        kind: str,
        name: str,
        args: dict[str, Any],
        context_id: int | None,
        within: str | None,
        depth: int,
    ) -> CallRecord:
        """``add(CallRecord(0, kind, name, args, context_id, within, depth))`` in one frame, for a trace
        that records (one record per call across the boundary)."""
        self.seq += 1
        record = _new_record(CallRecord)  # every field set here, as ``__init__`` would
        record.seq, record.kind, record.name, record.args = self.seq, kind, name, args
        record.context_id, record.within, record.depth = context_id, within, depth
        record.result = record.result_name = record.failure = None
        record.notes = []
        records = self.records
        records.append(record)
        if self.limit is not None and len(records) > 2 * self.limit:
            del records[: len(records) - self.limit]
        return record

    def skip(self) -> None:
        """A call that is not recorded still takes its number."""
        self.seq += 1

    def next_seq(self) -> int:
        return self.seq + 1

    def since(self, seq: int) -> list[CallRecord]:
        """Records numbered ``seq`` or later (``seq`` from ``next_seq()`` before an operation)."""
        records = self.records
        if not records or records[-1].seq < seq:
            return []
        # at most this many records have numbers from ``seq`` on; exactly so if the first of them has
        # one (the usual case: every call since was recorded)
        count = self.seq - seq + 1
        if count <= len(records) and records[-count].seq >= seq:
            return records[-count:]
        # an operation's records are the newest few: walk back from the end before bisecting
        start, floor = len(records), max(len(records) - 64, 0)
        while start > floor and records[start - 1].seq >= seq:
            start -= 1
        if start == 0 or records[start - 1].seq < seq:
            return records[start:]
        start = bisect.bisect_left(self.records, seq, key=lambda r: r.seq)
        return self.records[start:]

    def clear(self) -> None:
        self.records.clear()

    def __iter__(self) -> Iterator[CallRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def callbacks(self, name: str | None = None) -> list[CallRecord]:
        return [r for r in self.records if r.kind == CALLBACK and (name is None or r.name == name)]

    def host_calls(self, name: str | None = None, within: str | None = None) -> list[CallRecord]:
        return [
            r
            for r in self.records
            if r.kind != CALLBACK
            and (name is None or r.name == name)
            and (within is None or r.within == within)
        ]

    def with_note(self, note: str) -> list[CallRecord]:
        return [r for r in self.records if note in r.notes]

    def format(self, records: list[CallRecord] | None = None, last: int = 200) -> str:
        chosen = self.records if records is None else records
        shown = chosen[-last:]
        skipped = len(chosen) - len(shown)
        head = [f"... {skipped} earlier calls not shown"] if skipped else []
        return "\n".join(head + [r.describe() for r in shown])


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
