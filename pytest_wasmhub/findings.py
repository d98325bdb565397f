"""What a run has learnt about the module under test, so that no case waits again for what an earlier
case already found: Envoy died or its worker wedged (later requests are not sent), the module hangs
requests (later requests get a short bound), Envoy never became ready with it (later starts fail at
once). Pure Python: the plugin keeps one per session."""

from __future__ import annotations

from dataclasses import dataclass, field

from .outcomes import Kind, Outcome

# once the module is known to hang requests, a later request that gets no answer within this many
# seconds is taken as the same hang (a slow module answers in well under it)
HANG_RECHECK_TIMEOUT = 1.0


@dataclass
class RunFindings:
    isolation_break: str = ""  # the first death or wedge: "<case>: <reason>"
    hang: str = ""  # the first request the module never finished
    vm_failure: str = ""  # the first request Envoy failed because the VM had failed
    never_ready: dict[str, str] = field(default_factory=dict)  # bootstrap -> why Envoy never got ready

    def learn(self, outcome: Outcome, case: str) -> None:
        where = f"{case}: {outcome.reason}" if case else outcome.reason
        if outcome.kind.breaks_isolation and not self.isolation_break:
            self.isolation_break = where
        elif outcome.kind is Kind.HANG and not self.hang:
            self.hang = where
        elif outcome.kind is Kind.VM_FAILED and not self.vm_failure:
            self.vm_failure = where

    def request_timeout(self, timeout: float) -> float:
        """The bound for the next request: short once the module is known to hang requests."""
        return min(timeout, HANG_RECHECK_TIMEOUT) if self.hang else timeout
