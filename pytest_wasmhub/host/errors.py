"""What can go wrong in the host, as exceptions (for the caller) and reports (for the record)."""

from __future__ import annotations

from dataclasses import dataclass, field


class HostError(Exception):
    """Base class: the message is one line that names the module or callback and the problem."""


class ModuleLoadError(HostError):
    """The module cannot be loaded the way Envoy loads it (bad bytes, missing import, bad export)."""


class HostLimitation(HostError):
    """Envoy would run the module, this host cannot (wasmtime cannot link what V8 links): no verdict
    on the module can come from this host, so the cases report an error with this reason."""


class StartError(HostError):
    """Start-up failed: a trap or a restricted call in ``_initialize``/``_start``, or ``proxy_on_vm_start``
    / ``proxy_on_configure`` trapped or returned false. Envoy refuses to start in all these cases."""

    def __init__(self, message: str, failure: GuestFailure | None = None) -> None:
        super().__init__(message)
        self.failure = failure


class ProxyCrashError(HostError):
    """The module did something that crashes Envoy itself (not just the VM): a host call from a module
    without memory segfaults the whole process (docs/host-facts.md#no-memory-export-crashes-envoy)."""


class GuestMemoryError(Exception):
    """A pointer/size pair from the guest leaves linear memory; the host call returns
    INVALID_MEMORY_ACCESS (WASI: EFAULT) instead of trapping, as Envoy does."""


class RestrictedCallError(Exception):
    """The guest called a function the host forbids at this point; it traps the VM, as cpp-host's
    ``restricted_callback`` does."""

    def __init__(self, function: str, phase: str) -> None:
        super().__init__(f"{function} is not allowed during {phase} (restricted_callback)")
        self.function = function
        self.phase = phase


@dataclass(frozen=True)
class GuestFailure:
    """A callback that did not return normally: a trap, a restricted call, or a spent CPU budget."""

    callback: str  # the export the host called, e.g. "proxy_on_request_headers"
    kind: str  # "trap" | "budget" | "restricted"
    message: str
    context_id: int | None = None
    trap_code: str | None = None
    backtrace: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        where = f"{self.callback}" + (f" (context {self.context_id})" if self.context_id is not None else "")
        lines = [f"{where}: {self.kind}: {self.message}"]
        lines += [f"  #{i} {frame}" for i, frame in enumerate(self.backtrace)]
        return "\n".join(lines)
