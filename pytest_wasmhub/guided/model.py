"""What the guided search found: plain data, without Hypothesis (the cases import it at collection)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .requests import GuidedRequest
from .vocabulary import Vocabulary

TRAP = "trap"  # a callback trapped, or the VM failed while serving the request
HANG = "hang"  # a callback ran past its CPU budget, or the stream was held and never resumed


@dataclass(frozen=True)
class HostFinding:
    kind: str  # TRAP | HANG
    request: GuidedRequest
    failure: str  # the host's account: "proxy_on_request_headers (context 2): trap: wasm trap: ..."

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "request": self.request.as_dict(), "host_failure": self.failure}


@dataclass
class SearchResult:
    seed: int
    budget: float
    vocabulary: Vocabulary
    streams: int = 0  # requests run through the host
    elapsed: float = 0.0
    findings: dict[str, HostFinding] = field(default_factory=dict)  # kind -> its minimal request
    dropped: list[str] = field(default_factory=list)  # failures that did not hold with the full budget
    first_found_after: float | None = None  # seconds until the first failing request (before shrinking)

    @property
    def streams_per_second(self) -> float:
        return self.streams / self.elapsed if self.elapsed else 0.0

    def summary(self) -> str:
        found = ", ".join(f"{k}: {f.request.describe()}" for k, f in self.findings.items()) or "nothing"
        return (
            f"guided search (seed {self.seed}, budget {self.budget:g} s): {self.streams} host streams in "
            f"{self.elapsed:.2f} s from {self.vocabulary.summary()}; found {found}"
        )
