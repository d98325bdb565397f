"""What happened to one request the suite sent through Envoy, in Envoy's terms.

Each request is judged by Envoy's record of it (the access log: code, details, flags, upstream) and by
Envoy's own failure lines logged while it was served (``Function: <callback> failed: ...``), never by
the module's own log lines, whatever their level; those are kept and shown as "module log".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import httpx

from .envoy.accesslog import BUFFER_LIMIT_DETAILS, AccessRecord
from .envoy.logs import LogEntry, ModuleLine, Trap, module_lines, traps


class Kind(str, Enum):
    UPSTREAM = "passed_upstream"  # Envoy forwarded it and relayed the upstream's answer
    MODULE_REPLY = "module_replied"  # the module answered it itself (proxy_send_local_response)
    ENVOY_REPLY = "envoy_replied"  # Envoy answered itself for a reason of its own (no route, ...)
    TRAPPED = "trapped"  # a callback of the module did not return
    VM_FAILED = "vm_failed"  # the VM had failed already: Envoy answered 503 without running it
    HANG = "hang"  # the module paused the request and never resumed it; Envoy is fine
    RESET = "reset"  # Envoy cut the stream off (buffer limit, upstream reset, ...)
    DIED = "envoy_died"  # the Envoy process is gone
    WEDGED = "worker_wedged"  # Envoy runs, but its worker no longer answers anything

    @property
    def failed(self) -> bool:
        return self in FAILURES

    @property
    def breaks_isolation(self) -> bool:
        return self in ISOLATION_BREAKS


FAILURES = frozenset({Kind.TRAPPED, Kind.VM_FAILED, Kind.HANG, Kind.RESET, Kind.DIED, Kind.WEDGED})
ISOLATION_BREAKS = frozenset({Kind.DIED, Kind.WEDGED})


@dataclass(frozen=True)
class Outcome:
    """One request: what the suite sent, what came back, Envoy's record and its verdict."""

    kind: Kind
    description: str  # "GET /conformance/get (HTTP/2)"
    reason: str  # one line, in Envoy's terms: the cause, the callback, Envoy's record
    request_id: str = ""
    response: httpx.Response | None = None
    record: AccessRecord | None = None
    trap: Trap | None = None
    module_log: tuple[ModuleLine, ...] = field(default=(), repr=False)

    @property
    def failed(self) -> bool:
        return self.kind.failed

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    def as_dict(self) -> dict[str, object]:
        return {
            "request": self.description,
            "request_id": self.request_id,
            "outcome": self.kind.value,
            "status": self.status,
            "details": self.record.details if self.record else None,
            "reason": self.reason,
        }


def judge_response(
    description: str,
    request_id: str,
    response: httpx.Response,
    record: AccessRecord | None,
    window: list[LogEntry],
    history: list[LogEntry],
) -> Outcome:
    """A request that got an answer. ``window``: Envoy's log entries written while it was served;
    ``history``: everything Envoy logged before (to find where an already failed VM failed)."""
    said = tuple(module_lines(window))
    common = {"request_id": request_id, "response": response, "record": record, "module_log": said}
    answer = f"{response.status_code} {record.details}" if record else f"{response.status_code}"
    new_traps = traps(window)
    if new_traps:
        return _trapped(description, new_traps[0], f"Envoy answered {answer}", common)
    if record is None:
        # the module removed the suite's mark, or Envoy wrote no record: judge by the answer alone
        return Outcome(
            Kind.UPSTREAM if response.status_code < 500 else Kind.ENVOY_REPLY,
            description,
            f"{description}: answered {response.status_code}; Envoy wrote no record of it",
            **common,
        )
    if record.details == "wasm_fail_stream":
        return Outcome(
            Kind.VM_FAILED,
            description,
            f"{description}: the module's VM had already failed, so Envoy answered {answer} without "
            f"running it; {where_the_vm_failed(history)}",
            **common,
        )
    if record.details in BUFFER_LIMIT_DETAILS:
        return Outcome(
            Kind.RESET,
            description,
            f"{description}: Envoy cut it off ({record.describe()}): the module held more of the body "
            "than Envoy's buffer limit (it buffered instead of streaming)",
            **common,
        )
    if record.details == "via_upstream":
        return Outcome(Kind.UPSTREAM, description, f"{description}: {answer} from the upstream", **common)
    if not record.by_envoy:  # details a filter chose: before the upstream, or replacing its answer
        return Outcome(
            Kind.MODULE_REPLY,
            description,
            f"{description}: the module answered it itself: {response.status_code} "
            f"(details {record.details!r})",
            **common,
        )
    return Outcome(
        Kind.ENVOY_REPLY, description, f"{description}: Envoy answered {record.describe()}", **common
    )


def judge_no_answer(
    description: str,
    request_id: str,
    error: Exception,
    record: AccessRecord | None,
    window: list[LogEntry],
    timeout: float,
    has_body: bool,
) -> Outcome:
    """A request with no answer from an Envoy that still runs and whose worker still answers."""
    said = tuple(module_lines(window))
    common = {"request_id": request_id, "record": record, "module_log": said}
    new_traps = traps(window)
    if new_traps:
        return _trapped(description, new_traps[0], "no answer", common)
    if isinstance(error, httpx.TimeoutException):
        held = (
            f"Envoy still held it when the client gave up (its record: {record.describe()} after "
            f"{record.duration_ms} ms)"
            if record
            else "Envoy is alive and answers on other listeners"
        )
        return Outcome(
            Kind.HANG,
            description,
            f"{description}: hang: no answer within {timeout:g} s; {held}: the module paused it in "
            f"{paused_where(record, has_body)} and never resumed it",
            **common,
        )
    why = record.describe() if record else f"{type(error).__name__}: {error}"
    cause = (
        ": the module held more of the body than Envoy's buffer limit"
        if record and record.details in BUFFER_LIMIT_DETAILS
        else ""
    )
    return Outcome(Kind.RESET, description, f"{description}: Envoy reset the stream ({why}){cause}", **common)


def _trapped(description: str, trap: Trap, answered: str, common: dict) -> Outcome:
    return Outcome(
        Kind.TRAPPED,
        description,
        f"{description}: the module trapped in {trap.describe()} ({answered})",
        trap=trap,
        **common,
    )


def paused_where(record: AccessRecord | None, has_body: bool) -> str:
    if record is not None and record.reached_upstream:
        return "the response path (proxy_on_response_headers or proxy_on_response_body)"
    if not has_body:
        return "proxy_on_request_headers (the request never reached the upstream)"
    return (
        "the request path (proxy_on_request_headers or proxy_on_request_body; it never reached the upstream)"
    )


def where_the_vm_failed(history: list[LogEntry]) -> str:
    """Envoy's first word on the VM's failure: the trap (callback, text, time) or the failure line."""
    earlier = traps(history)
    if earlier:
        return f"it died at {earlier[0].time} in {earlier[0].describe()}"
    failures = [entry for entry in history if entry.is_envoy_wasm_failure]
    if failures:
        return f"Envoy logged at {failures[0].time}: {failures[0].first_line}"
    return "Envoy logged no reason"
