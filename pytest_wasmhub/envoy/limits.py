"""The sandbox an Envoy container runs in (no Docker import here: settings validate with it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

DEFAULT_MEMORY = "512m"
DEFAULT_PIDS = 256
MINIMUM_MEMORY = 6 * 1024**2  # Docker refuses less
UNPRIVILEGED_USER = "65534:65534"  # nobody:nogroup; owns nothing in the image
_MEMORY = re.compile(r"^(\d+)([bkmg]?)$")


def parse_memory(value: str) -> int:
    """Docker's memory notation ("512m", "1g", "268435456") in bytes; ValueError when unusable."""
    match = _MEMORY.match(value.strip().lower())
    if not match:
        raise ValueError(f"{value!r} is not a memory size like 512m, 1g or 268435456")
    size = int(match[1]) * 1024 ** "bkmg".index(match[2] or "b")
    if size < MINIMUM_MEMORY:
        raise ValueError(f"{value!r} is below Docker's minimum of 6m")
    return size


@dataclass(frozen=True)
class ContainerLimits:
    """Defaults assume a hostile module: nothing writable but the copied files' volume, no privileges,
    bounded memory and process count, no restart."""

    memory: str = DEFAULT_MEMORY
    pids: int = DEFAULT_PIDS
    user: str = UNPRIVILEGED_USER

    def __post_init__(self) -> None:
        parse_memory(self.memory)
        if self.pids < 1:
            raise ValueError(f"pids limit {self.pids} must be at least 1")

    def docker_arguments(self) -> dict[str, Any]:
        """Keyword arguments for the docker SDK's ``containers.create``."""
        memory = parse_memory(self.memory)
        return {
            "read_only": True,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "user": self.user,
            "mem_limit": memory,
            "memswap_limit": memory,  # no swap either: over the limit means the OOM killer
            "pids_limit": self.pids,
            # Envoy must not be PID 1: PID 1 ignores signals it has no handler for, which would change
            # how a crash ends (an abort() would end as SIGSEGV)
            "init": True,
            # no network at all, only the container's own loopback: Envoy's listeners and clusters are
            # Unix sockets in directories shared with the host (container.py)
            "network_mode": "none",
            "restart_policy": {"Name": "no"},
        }

    def describe(self) -> str:
        """One line for reports: the limits in force."""
        return (
            f"memory {self.memory}, pids {self.pids}, read-only root filesystem, capabilities dropped (ALL), "
            f"no-new-privileges, user {self.user}, no restart, network none (Unix sockets only)"
        )
