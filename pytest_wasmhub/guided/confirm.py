"""A finding of the guided search, replayed through a real Envoy and judged by the suite's oracle
(``outcomes``): it counts against the module only when Envoy fails the request too."""

from __future__ import annotations

from dataclasses import dataclass

from ..expect import Traffic
from ..outcomes import Kind, Outcome
from .model import HostFinding

# what Envoy did that confirms a finding: the module failed the request, or took Envoy down with it
CONFIRMING = frozenset({Kind.TRAPPED, Kind.VM_FAILED, Kind.HANG, Kind.DIED, Kind.WEDGED})
FOLLOW_UP_PATH = "/conformance/guided/after"


@dataclass(frozen=True)
class Confirmation:
    finding: HostFinding
    url: str  # the Envoy listener the request went to
    outcome: Outcome  # the minimal request, in Envoy
    follow_up: Outcome | None  # a plain GET after it, when the request itself was served
    envoy_line: str  # Envoy's own line about it: its trap or failed VM, or what the suite saw

    @property
    def confirmed(self) -> bool:
        return self.outcome.kind in CONFIRMING or (
            self.follow_up is not None and self.follow_up.kind in CONFIRMING
        )

    @property
    def curl(self) -> str:
        return self.finding.request.curl(self.url)

    def as_dict(self) -> dict[str, object]:
        return {
            "confirmed": self.confirmed,
            "curl": self.curl,
            "envoy_log": self.envoy_line,
            "outcome": self.outcome.as_dict(),
            "follow_up": self.follow_up.as_dict() if self.follow_up else None,
        }


def replay(traffic: Traffic, finding: HostFinding) -> Confirmation:
    """Send the minimal request through ``traffic``'s Envoy; when Envoy serves it, send a plain GET
    after it (a trap after the answer, in ``proxy_on_done``, shows as the next request finding the VM
    failed)."""
    request = finding.request
    mark = traffic.failure_mark()
    outcome = traffic.outcome_of(
        request.method,
        request.path,
        headers=list(request.headers),
        content=request.body or None,
        note="the guided search's minimal request",
    )
    follow_up = None
    if outcome.kind not in CONFIRMING and not outcome.kind.breaks_isolation:
        follow_up = traffic.outcome_of("GET", FOLLOW_UP_PATH, note="a plain GET after the minimal request")
    lines = traffic.failures_since(mark)
    if lines:
        envoy_line = lines[0]
    elif outcome.kind is Kind.WEDGED:
        envoy_line = "Envoy logged nothing: its worker is stuck in the module (" + outcome.reason + ")"
    else:
        envoy_line = (follow_up or outcome).reason
    return Confirmation(finding, traffic.envoy.url, outcome, follow_up, envoy_line)
