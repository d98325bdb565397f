"""The guided search: Hypothesis sends requests built from the module's vocabulary through the
in-process host until the time budget is spent, and shrinks each failure it finds (a trap, or a
callback that never ends) to a minimal request.

Reproducible: the seed fixes Hypothesis' choices (no example database, no deadline), so the same seed
gives the same requests in the same order, and the same finding once it is reached within the budget.
The budget bounds the search for a failure; once one is found, shrinking it goes on (bounded by
``SHRINK_LIMIT_SECONDS``) so that the reproducer is minimal.
"""

from __future__ import annotations

import sys
import time
import unittest
from collections.abc import Callable

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.errors import Flaky

from ..host import GuestFailure, ProxyWasmHost, StartError
from ..host.checks import CONFORMANCE_FUEL
from .model import HANG, TRAP, HostFinding, SearchResult
from .requests import GuidedRequest
from .strategies import requests
from .vocabulary import Vocabulary

# a callback that spends this much fuel is taken for an endless loop while searching (a few ms of
# guest code); the minimal request is then checked again with the suite's full budget
SEARCH_FUEL = 20_000_000
SHRINK_LIMIT_SECONDS = 20.0
MAX_EXAMPLES = 1_000_000  # never reached: the time budget ends the search
# the budget never ends a search before this many requests: on a loaded machine Hypothesis' start-up
# alone can take the whole budget, and the first requests (each header present once) find most faults
MIN_EXAMPLES = 50

MakeHost = Callable[..., ProxyWasmHost]  # make_host(fuel_per_callback=...) -> a started host


class _BudgetSpent(unittest.SkipTest):
    """Ends the Hypothesis run once the budget is spent with nothing found (a skip is re-raised at
    once, neither shrunk nor reported as a failure)."""


class _Found(Exception):
    kind = ""

    def __init__(self, request: GuidedRequest, failure: str) -> None:
        super().__init__(f"{self.kind}: {failure}")
        self.request = request
        self.failure = failure


class _TrapFound(_Found):
    kind = TRAP


class _HangFound(_Found):
    kind = HANG


_FOUND = {TRAP: _TrapFound, HANG: _HangFound}


class _Runner:
    """Runs requests through one host, replacing its VM after a failure; remembers every answer, so the
    same request always gets the same verdict (Hypothesis replays the ones it shrinks)."""

    def __init__(self, make_host: MakeHost) -> None:
        self.make_host = make_host
        self.host = _search_host(make_host)
        self.known: dict[GuidedRequest, tuple[str, str] | None] = {}
        self.streams = 0
        self.failing: dict[str, list[GuidedRequest]] = {}

    def verdict(self, request: GuidedRequest) -> tuple[str, str] | None:
        if request not in self.known:
            self.known[request] = self._run(request)
            if self.known[request] is not None:
                self.failing.setdefault(self.known[request][0], []).append(request)
        return self.known[request]

    def _run(self, request: GuidedRequest) -> tuple[str, str] | None:
        host = self.host
        self.streams += 1
        result = host.http_request(request.method, request.path, list(request.headers), request.body)
        failure: GuestFailure | None = result.failure or host.vm_failure
        if failure is not None:
            self._fresh_vm()
            kind = HANG if failure.kind == "budget" else TRAP
            return kind, failure.describe().splitlines()[0]
        if result.stalled_at:
            return HANG, f"the stream was held after {result.stalled_at} and never resumed"
        return None

    def _fresh_vm(self) -> None:
        try:
            self.host.reload()
        except StartError:
            self.host.close()
            self.host = _search_host(self.make_host)

    def smallest_failures(self) -> list[_Found]:
        smallest = [min(requests_, key=_size) for requests_ in self.failing.values()]
        return [_FOUND[self.known[r][0]](r, self.known[r][1]) for r in smallest if self.known[r]]  # type: ignore[index]

    def close(self) -> None:
        self.host.close()


def _search_host(make_host: MakeHost) -> ProxyWasmHost:
    host = make_host(fuel_per_callback=SEARCH_FUEL)
    host.trace.enabled = False  # thousands of streams: the trace would cost more than the module
    return host


def _skip_local_constants() -> None:
    """Hypothesis mixes in constants it finds in the source of every local Python module loaded (here:
    the suite, pytest's plugins), parsing them on first use: a few hundred ms a run, and nothing in them
    is about the module under test. Mark those modules as already read. Hypothesis internals: when they
    change, this does nothing and the search is only slower to start."""
    try:
        from hypothesis.internal.conjecture import providers

        providers._seen_modules.update(id(module) for module in list(sys.modules.values()))
        providers._sys_modules_len = len(sys.modules)
    except (ImportError, AttributeError):  # pragma: no cover - another Hypothesis version
        pass


def search(make_host: MakeHost, vocabulary: Vocabulary, budget: float, seed_value: int) -> SearchResult:
    """Search for requests that make the module trap or never finish, for ``budget`` seconds."""
    result = SearchResult(seed_value, budget, vocabulary)
    if budget <= 0:
        return result
    _skip_local_constants()
    runner = _Runner(make_host)
    started = time.monotonic()
    deadline = started + budget
    shrink_deadline: list[float] = []

    @settings(
        database=None,
        deadline=None,
        max_examples=MAX_EXAMPLES,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @seed(seed_value)
    @given(requests(vocabulary))
    def one_request(request: GuidedRequest) -> None:
        now = time.monotonic()
        if not shrink_deadline and now > deadline and runner.streams >= MIN_EXAMPLES:
            raise _BudgetSpent()
        if shrink_deadline and now > shrink_deadline[0] and request not in runner.known:
            return  # shrinking ran out of time: keep what was found so far
        verdict = runner.verdict(request)
        if verdict is not None:
            if not shrink_deadline:
                shrink_deadline.append(now + SHRINK_LIMIT_SECONDS)
                result.first_found_after = time.monotonic() - started
            raise _FOUND[verdict[0]](request, verdict[1])

    found: list[_Found] = []
    try:
        one_request()
    except _BudgetSpent:
        pass
    except _Found as single:
        found.append(single)
    except Flaky:  # the same request answered two ways: keep the smallest one seen failing
        found.extend(runner.smallest_failures())
    except Exception as error:  # several failures: an exception group (the backport's on Python 3.10)
        inner = getattr(error, "exceptions", None)
        if inner is None:
            raise
        found.extend(e for e in inner if isinstance(e, _Found))
    finally:
        result.elapsed = time.monotonic() - started
        result.streams = runner.streams
        runner.close()
    for item in found:
        if item.kind not in result.findings:
            _confirm_in_host(make_host, item, result)
    return result


def _confirm_in_host(make_host: MakeHost, item: _Found, result: SearchResult) -> None:
    """Run the minimal request once more, in a fresh host with the suite's full CPU budget: a hang must
    still spend it all, a trap must trap again."""
    host = make_host(fuel_per_callback=CONFORMANCE_FUEL)
    try:
        request = item.request
        answer = host.http_request(request.method, request.path, list(request.headers), request.body)
        failure = answer.failure or host.vm_failure
        if failure is not None:
            kind = HANG if failure.kind == "budget" else TRAP
            result.findings.setdefault(kind, HostFinding(kind, request, failure.describe().splitlines()[0]))
        elif answer.stalled_at and item.kind == HANG:
            result.findings.setdefault(HANG, HostFinding(HANG, request, item.failure))
        else:
            result.dropped.append(f"{request.describe()}: {item.failure} (not with a fresh VM)")
    finally:
        host.close()


def _size(request: GuidedRequest) -> int:
    return len(request.path) + len(request.body) + sum(len(n) + len(v) + 4 for n, v in request.headers)
