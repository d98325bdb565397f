"""What Docker knows about an Envoy's container (no Docker import: plain data from ``inspect``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ContainerFacts:
    """What Docker knows about the container: did it stop, how, was it restarted."""

    id: str
    status: str  # created | running | exited | removed ...
    running: bool
    exit_code: int | None  # Docker's: 128+N when killed by signal N
    oom_killed: bool
    restart_count: int
    started_at: str

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> ContainerFacts:
        state = attrs.get("State", {})
        running = bool(state.get("Running"))
        started = state.get("StartedAt", "")
        return cls(
            id=attrs.get("Id", "")[:12],
            status=state.get("Status", "unknown"),
            running=running,
            exit_code=None if running or state.get("Status") == "created" else state.get("ExitCode"),
            oom_killed=bool(state.get("OOMKilled")),
            restart_count=int(attrs.get("RestartCount", 0)),
            started_at=started,
        )
