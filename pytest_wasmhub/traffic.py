"""Sending the suite's requests through Envoy: every request marked with an id of the suite's own and
bounded in time, and judged by Envoy's record of it (``outcomes``). When Envoy gives no answer, the
diagnosis is in Envoy's terms: it died, its worker is wedged, the module holds the request (a hang),
or Envoy reset the stream."""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .batch import BatchRequest, send_batch
from .envoy.accesslog import REQUEST_HEADER
from .envoy.handle import EnvoyHandle, describe_exit
from .envoy.logs import LogEntry, traps
from .outcomes import Kind, Outcome, judge_no_answer, judge_response
from .timing import timed

Headers = Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] | None
_ids = itertools.count(1)


def new_request_id() -> str:
    """Unique within a run, also across pytest-xdist workers (the process id is part of it)."""
    return f"wasmhub-{os.getpid()}-{next(_ids)}"


def describe(method: str, path: str, note: str = "") -> str:
    shown = path if len(path) <= 80 else path[:60] + f"...({len(path)} chars)"
    return f"{method} {shown}" + (f" ({note})" if note else "")


def marked(headers: Headers, request_id: str) -> list[tuple[str | bytes, str | bytes]]:
    items = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
    return [*items, (REQUEST_HEADER, request_id)]


def send(
    envoy: EnvoyHandle,
    method: str,
    path: str,
    *,
    timeout: float,
    headers: Headers = None,
    content: bytes | Iterable[bytes] | None = None,
    http2: bool = False,
    url: str | None = None,
    note: str = "",
) -> Outcome:
    """Send one request through ``envoy`` (its Wasm listener unless ``url``) and judge it."""
    what = describe(method, path, note)
    request_id = new_request_id()
    history = envoy.log_entries()
    client = envoy.client(url, http2=http2, timeout=timeout)
    try:
        with timed("request"):
            response = client.request(method, path, headers=marked(headers, request_id), content=content)
    except httpx.HTTPError as error:
        return no_answer(envoy, what, request_id, error, timeout, history, has_body=content is not None)
    record = envoy.record_for(request_id)
    window = envoy.log_entries()[len(history) :]
    return judge_response(what, request_id, response, record, window, history)


def no_answer(
    envoy: EnvoyHandle,
    what: str,
    request_id: str,
    error: Exception,
    timeout: float,
    history: list[LogEntry],
    *,
    has_body: bool,
) -> Outcome:
    """Why Envoy gave no answer to ``what``: it died, its worker is wedged, or it holds or reset it."""
    broken = broken_envoy(envoy, what, error, timeout)
    if broken is not None:
        return broken
    record = envoy.record_for(request_id, timeout=0.5)
    window = envoy.log_entries()[len(history) :]
    outcome = judge_no_answer(what, request_id, error, record, window, timeout, has_body)
    if outcome.kind is Kind.HANG:
        envoy.tainted = outcome.reason  # it may still hold the paused stream: never hand it on
    return outcome


def broken_envoy(envoy: EnvoyHandle, what: str, error: Exception, timeout: float) -> Outcome | None:
    """An outcome when Envoy itself is gone or its worker no longer answers; None when Envoy is fine."""
    timed_out = isinstance(error, httpx.TimeoutException)
    code = envoy.exit_code() if timed_out else envoy.exit_after_reset()
    if code is not None:
        crash = [line for line in envoy.logs().splitlines() if "Caught " in line or "Wasm VM failed" in line]
        detail = f" Envoy's log: {crash[0].split('] ', 3)[-1]}" if crash else ""
        return Outcome(
            Kind.DIED,
            what,
            f"Envoy died ({describe_exit(code)}) while serving {what}: the module took the whole proxy "
            f"down, every listener with it.{detail}",
        )
    # Envoy runs. With one worker, the passthrough listener (no module) shares the thread that ran the
    # module: if it cannot answer either, that thread is stuck inside the module.
    if not answers(envoy, envoy.passthrough_url, min(timeout, 2.0)):
        envoy.wedged = True
        return Outcome(
            Kind.WEDGED,
            what,
            f"Envoy's worker stopped answering during {what}: no listener answers, not even the one "
            "without the module, while admin /ready still says LIVE. The module is running endlessly in a "
            "callback (Envoy has no execution time limit; only a watchdog would end it, by aborting the "
            "process).",
        )
    return None


def explain_no_answer(envoy: EnvoyHandle, what: str, error: Exception) -> str:
    """One line for an author's request that got no answer: Envoy died, its worker wedged, the module
    holds the request (a hang), or Envoy reset it; with Envoy's trap line when the module trapped."""
    timeout = 2.0
    broken = broken_envoy(envoy, what, error, timeout)
    if broken is not None:
        return broken.reason
    found = traps(envoy.log_entries())
    trap = f"; Envoy's last trap: {found[-1].describe()}" if found else ""
    if isinstance(error, httpx.TimeoutException):
        return (
            f"{what}: hang: Envoy is alive and its other listeners answer, but the module holds this "
            f"request (it paused it and never resumed it){trap}"
        )
    return f"{what}: Envoy reset the stream while Envoy kept running{trap}"


def answers(envoy: EnvoyHandle, url: str, timeout: float) -> bool:
    """The listener ``url`` of ``envoy`` answers a request on a new connection."""
    try:
        with envoy.new_client(url, timeout=timeout) as client:
            client.get("/__wasmhub/alive")
    except httpx.HTTPError:
        return False
    return True


@dataclass(frozen=True)
class Stream:
    """One request of a batch sent all at once."""

    path: str
    http2: bool = False


def send_concurrently(envoy: EnvoyHandle, streams: Sequence[Stream], bound: float) -> list[Outcome]:
    """Send every stream at once (HTTP/2 ones multiplexed on one connection, HTTP/1.1 ones on as many
    connections as there are) and judge each by Envoy's record; ``bound`` limits the whole batch."""
    history = envoy.log_entries()
    ids = [new_request_id() for _ in streams]
    batch = [
        BatchRequest(stream.path, ((REQUEST_HEADER, request_id),), stream.http2)
        for stream, request_id in zip(streams, ids, strict=True)
    ]
    authority = urlsplit(envoy.url).netloc
    with timed("request"):  # the whole batch, as one
        answers_ = send_batch(lambda: envoy.connect(timeout=bound), authority, batch, bound)
    window = envoy.log_entries()[len(history) :]
    outcomes = []
    broken: Outcome | None = None
    for stream, request_id, answer in zip(streams, ids, answers_, strict=True):
        what = describe("GET", stream.path, "HTTP/2" if stream.http2 else "")
        if isinstance(answer, httpx.Response):
            record = envoy.record_for(request_id, timeout=0.5)
            # the batch shares one log window: a trap belongs to the streams Wasm failed
            failed_by_wasm = record is None or record.details == "wasm_fail_stream"
            own = window if failed_by_wasm else []
            outcomes.append(judge_response(what, request_id, answer, record, own, history))
            continue
        error = answer if isinstance(answer, Exception) else RuntimeError(repr(answer))
        broken = broken or broken_envoy(envoy, what, error, bound)
        if broken is not None:
            outcomes.append(broken)
            continue
        record = envoy.record_for(request_id, timeout=0.5)
        outcome = judge_no_answer(what, request_id, error, record, window, bound, has_body=False)
        if outcome.kind is Kind.HANG:
            envoy.tainted = outcome.reason
        outcomes.append(outcome)
    return outcomes


def reset_mid_body(
    envoy: EnvoyHandle, path: str, declared: int, sent: int, timeout: float, listener: str = ""
) -> None:
    """Open a connection, send headers and part of a body, then reset it (RST, not a clean close; on a
    Unix socket, which has no reset, an abrupt close mid-body)."""
    with envoy.connect(listener, timeout=timeout) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: wasmhub\r\nContent-Length: {declared}\r\n\r\n"
        sock.sendall(head.encode() + b"x" * sent)
        # SO_LINGER with a zero timeout turns close() into a TCP reset
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def close_early(envoy: EnvoyHandle, partial_request: bytes, timeout: float, listener: str = "") -> None:
    """Send the start of a request and close the connection cleanly before it is complete (``listener``:
    default the handle's primary one, as for ``reset_mid_body``)."""
    with envoy.connect(listener, timeout=timeout) as sock:
        sock.sendall(partial_request)
