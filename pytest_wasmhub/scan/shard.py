"""One shard of a scan, by the Kubernetes Indexed Job contract: worker I of N takes every Nth unit.

``--shard I/N`` names it directly; ``--shards N`` reads I from ``JOB_COMPLETION_INDEX``, the variable
an Indexed Job gives each pod (a CI matrix can set it too). The deal is round-robin over the units in
manifest order, so it depends on nothing but the manifest: a pod rerun with the same index gets the
same units, and resuming skips the ones it finished.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

INDEX_ENV = "JOB_COMPLETION_INDEX"
T = TypeVar("T")


class ShardError(ValueError):
    """The shard cannot be determined; the message says what was given and what is expected."""


@dataclass(frozen=True)
class Shard:
    index: int  # 0-based, as JOB_COMPLETION_INDEX
    count: int

    def select(self, units: Sequence[T]) -> list[T]:
        return [unit for position, unit in enumerate(units) if position % self.count == self.index]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


WHOLE = Shard(0, 1)


def parse_shard(text: str) -> Shard:
    """``I/N`` with 0 <= I < N."""
    index, slash, count = text.partition("/")
    if not slash or not index.strip().isdigit() or not count.strip().isdigit():
        raise ShardError(
            f"--shard {text!r}: expected I/N, e.g. 0/4 (I counts from 0, as JOB_COMPLETION_INDEX)"
        )
    return _checked(int(index), int(count), f"--shard {text}")


def resolve_shard(shard: str | None, shards: int | None, environ: Mapping[str, str] | None = None) -> Shard:
    """The shard from ``--shard I/N``, or ``--shards N`` with the index from JOB_COMPLETION_INDEX."""
    environ = os.environ if environ is None else environ
    if shard and shards:
        raise ShardError("give either --shard I/N or --shards N (with JOB_COMPLETION_INDEX), not both")
    if shard:
        return parse_shard(shard)
    if not shards:
        return WHOLE
    raw = environ.get(INDEX_ENV)
    if raw is None:
        raise ShardError(f"--shards {shards}: {INDEX_ENV} is not set (an Indexed Job sets it per pod)")
    if not raw.strip().isdigit():
        raise ShardError(f"{INDEX_ENV}={raw!r} is not a whole number")
    return _checked(int(raw), shards, f"{INDEX_ENV}={raw} with --shards {shards}")


def _checked(index: int, count: int, where: str) -> Shard:
    if count < 1:
        raise ShardError(f"{where}: the number of shards must be at least 1")
    if not 0 <= index < count:
        raise ShardError(f"{where}: the index must be from 0 to {count - 1}")
    return Shard(index, count)
