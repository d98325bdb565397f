"""Assertions shared by conformance cases and author tests, with messages in Envoy's terms."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .changes import ModuleChanges, compare
from .envoy import EnvoyFactory, EnvoyHandle, EnvoyStartError
from .envoy.accesslog import REQUEST_HEADER
from .envoy.handle import describe_exit
from .envoy.logs import wasm_failures
from .findings import RunFindings
from .module import WasmModule
from .outcomes import Kind, Outcome
from .traffic import Stream, describe, send, send_concurrently
from .upstream import RecordedRequest, Upstream


def start_envoy(
    envoy_factory: EnvoyFactory, module: WasmModule | None = None, **overrides: Any
) -> EnvoyHandle:
    """Start Envoy inside a test, so a refusal is the case's failure (with Envoy's reason), not an error."""
    __tracebackhide__ = True
    try:
        return envoy_factory(module, **overrides)
    except EnvoyStartError as exc:
        if exc.never_ready:
            pytest.fail(exc.reason, pytrace=False)
        pytest.fail(f"Envoy refused the module: {exc.reason}", pytrace=False)


def no_wasm_errors(envoy: EnvoyHandle, doing: str) -> None:
    """Fail when Envoy logged a Wasm failure of its own (a trap, a failed VM) while ``doing`` something;
    the module's own log lines do not count, whatever their level."""
    __tracebackhide__ = True
    errors = envoy.wasm_errors()
    if errors:
        pytest.fail(f"Envoy logged Wasm failures while {doing}: " + " | ".join(errors[:5]), pytrace=False)


class Traffic:
    """The suite's way of sending requests through an Envoy with the module under test.

    Every request carries the suite's own id and is bounded by the request timeout; it is judged by
    Envoy's record of it (``outcomes.Outcome``). ``findings``, when given, is what the run learnt about
    the module under test: it hears of every outcome, and once Envoy died or wedged later requests are
    not sent; once the module hung a request, later requests get a short bound.
    """

    def __init__(
        self,
        envoy: EnvoyHandle,
        upstream: Upstream,
        timeout: float,
        findings: RunFindings | None = None,
        case: str = "",
    ) -> None:
        self.envoy = envoy
        self.upstream = upstream
        self.timeout = timeout
        self.findings = findings
        self.case = case
        self.outcomes: list[Outcome] = []
        self.changes: list[tuple[str, ModuleChanges]] = []

    # --- sending -------------------------------------------------------------------------------
    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request the module must serve: fail on a trap, a failed VM, a hang, a reset or a broken
        Envoy. An answer the module gives itself (a 403, a 503 of its own) is its right."""
        __tracebackhide__ = True
        outcome = self.exchange(method, path, **kwargs)
        if outcome.failed:
            pytest.fail(self._reason(outcome), pytrace=False)
        assert outcome.response is not None
        return outcome.response

    def exchange(self, method: str, path: str, **kwargs: Any) -> Outcome:
        """Send one request and return its outcome; fail only when there is no answer to look at (Envoy
        broke, or the request hung or was reset)."""
        __tracebackhide__ = True
        outcome = self.outcome_of(method, path, **kwargs)
        if outcome.response is None:
            pytest.fail(self._reason(outcome), pytrace=False)
        return outcome

    def probe(self, method: str, path: str, **kwargs: Any) -> Outcome:
        """Send a request only to see that Envoy survives it: fail on a death or a wedge, nothing else."""
        __tracebackhide__ = True
        outcome = self.outcome_of(method, path, **kwargs)
        if outcome.kind.breaks_isolation:
            pytest.fail(self._reason(outcome), pytrace=False)
        return outcome

    def outcome_of(self, method: str, path: str, **kwargs: Any) -> Outcome:
        """Send one request and return what Envoy did with it, judging nothing (the run still learns)."""
        __tracebackhide__ = True
        if self.findings is not None and self.findings.isolation_break:
            pytest.fail(
                f"not sent: the module already broke isolation in {self.findings.isolation_break}",
                pytrace=False,
            )
        timeout = self.findings.request_timeout(self.timeout) if self.findings else self.timeout
        outcome = send(self.envoy, method, path, timeout=timeout, **kwargs)
        self._heard(outcome)
        return outcome

    def _heard(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if self.findings is not None:
            self.findings.learn(outcome, self.case)

    def _reason(self, outcome: Outcome) -> str:
        prefix = "isolation broken: " if outcome.kind.breaks_isolation else ""
        earlier = self.findings.hang if self.findings and outcome.kind is Kind.HANG else ""
        first = f" (first hang: {earlier})" if earlier and not earlier.endswith(outcome.reason) else ""
        return prefix + outcome.reason + first

    def concurrently(self, streams: list[Stream], bound: float) -> list[Outcome]:
        """Send a batch at once; fail on the first stream the module failed."""
        __tracebackhide__ = True
        outcomes = send_concurrently(self.envoy, streams, bound)
        for outcome in outcomes:
            self._heard(outcome)
        failed = [o for o in outcomes if o.failed]
        if failed:
            pytest.fail(f"{len(failed)} of {len(outcomes)} streams failed; first: {self._reason(failed[0])}")
        return outcomes

    # --- what the module did -------------------------------------------------------------------
    def observe(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, ModuleChanges]:
        """Send the request without the module, then with it; return the response and what changed."""
        __tracebackhide__ = True
        content = kwargs.get("content")
        if content is not None and not isinstance(content, bytes):
            raise TypeError("observe() sends the body twice: give it as bytes")
        plain = self.exchange(
            method, path, url=self.envoy.passthrough_url, note="without the module", **kwargs
        )
        plain_seen = self.upstream_request(plain)
        outcome = self.exchange(method, path, **kwargs)
        if outcome.failed:
            pytest.fail(self._reason(outcome), pytrace=False)
        assert plain.response is not None and outcome.response is not None
        changes = compare(plain.response, outcome.response, plain_seen, self.upstream_request(outcome))
        self.changes.append((describe(method, path), changes))
        return outcome.response, changes

    def upstream_request(self, outcome: Outcome) -> RecordedRequest | None:
        """The upstream's copy of the suite's request (found by the suite's id, so a callout the module
        made to the same upstream is never taken for it)."""
        return next(
            (r for r in reversed(self.upstream.requests) if r.header(REQUEST_HEADER) == outcome.request_id),
            None,
        )

    # --- Envoy itself --------------------------------------------------------------------------
    def failure_mark(self) -> int:
        """A mark in Envoy's log, for ``failures_since``."""
        return len(wasm_failures(self.envoy.log_entries()))

    def failures_since(self, mark: int) -> list[str]:
        """Envoy's own Wasm failures (traps, failed VMs) logged after ``mark``, the module's lines left out."""
        return [entry.first_line for entry in wasm_failures(self.envoy.log_entries())[mark:]]

    def assert_alive(self, doing: str) -> None:
        """Envoy still runs, says LIVE, and its listener without the module answers."""
        __tracebackhide__ = True
        code = self.envoy.exit_code()
        if code is not None:
            died = Outcome(Kind.DIED, doing, f"Envoy died ({describe_exit(code)}) after {doing}")
            self._heard(died)
            pytest.fail(self._reason(died), pytrace=False)
        assert self.envoy.ready(), f"Envoy's admin /ready is not LIVE after {doing}"
        self.exchange("GET", "/__wasmhub/alive", url=self.envoy.passthrough_url, note=f"after {doing}")
