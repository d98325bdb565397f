"""An interrupt (Ctrl-C, SIGTERM) that lands on a bytecode without a line number leaves a traceback
entry with none (seen on CPython 3.11 in CI: a SIGTERM'd session's report crashed inside pytest and the
session exited 1 instead of 2). Such entries are unlinked before pytest reports the interrupt."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pytest_wasmhub.plugin import drop_lineless_entries


@dataclass
class Entry:  # the two fields of a traceback entry the mending reads and writes
    name: str
    tb_lineno: int | None
    tb_next: Entry | None = None


def _chain(*entries: Entry) -> Entry:
    for entry, following in itertools.pairwise(entries):
        entry.tb_next = following
    return entries[0]


def _names(entry: Entry | None) -> list[str]:
    names = []
    while entry is not None:
        names.append(entry.name)
        entry = entry.tb_next
    return names


def test_entries_without_a_line_are_unlinked_and_the_others_kept():
    head = _chain(
        Entry("session", 10), Entry("comprehension", None), Entry("handler", 3), Entry("tail", None)
    )
    drop_lineless_entries(head)  # type: ignore[arg-type]
    assert _names(head) == ["session", "handler"]


def test_a_real_traceback_is_left_whole():
    def inner():
        raise KeyboardInterrupt

    try:
        inner()
    except KeyboardInterrupt as interrupt:
        tb = interrupt.__traceback__
    before = []
    entry = tb
    while entry is not None:
        before.append((entry.tb_frame.f_code.co_name, entry.tb_lineno))
        entry = entry.tb_next
    drop_lineless_entries(tb)
    after = []
    entry = tb
    while entry is not None:
        after.append((entry.tb_frame.f_code.co_name, entry.tb_lineno))
        entry = entry.tb_next
    assert after == before and after[-1][0] == "inner"
