"""Sending the suite's requests through Envoy: every request bounded in time, and when Envoy does not
answer, a diagnosis in Envoy's terms (it crashed, its worker is wedged, or it was just slow)."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from .envoy.handle import EnvoyHandle, describe_exit
from .httpclient import get
from .timing import timed
from .upstream import RecordedRequest

# Headers whose values differ between any two requests, with or without a module.
VOLATILE_HEADERS = frozenset(
    {"date", "x-envoy-upstream-service-time", "x-request-id", "host", "content-length", "transfer-encoding"}
)


class EnvoyBroke(Exception):
    """Envoy stopped answering: ``cause`` is "crashed", "wedged" or "timeout"."""

    def __init__(self, cause: str, message: str) -> None:
        self.cause = cause
        super().__init__(message)


@dataclass(frozen=True)
class Exchange:
    """One request the suite sent and what came back."""

    description: str
    response: httpx.Response
    new_wasm_errors: tuple[str, ...] = ()


def describe(method: str, path: str, note: str = "") -> str:
    return f"{method} {path}" + (f" ({note})" if note else "")


def send(
    envoy: EnvoyHandle,
    method: str,
    path: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    content: bytes | Iterable[bytes] | None = None,
    http2: bool = False,
    url: str | None = None,
    note: str = "",
) -> Exchange:
    """Send one request through ``envoy`` (its Wasm listener unless ``url``); raise ``EnvoyBroke``."""
    what = describe(method, path, note)
    errors_before = len(envoy.wasm_errors())
    client = envoy.client(url, http2=http2, timeout=timeout)
    try:
        with timed("request"):
            response = client.request(method, path, headers=headers, content=content)
    except httpx.HTTPError as exc:
        raise EnvoyBroke(*diagnose(envoy, what, exc, timeout)) from None
    return Exchange(what, response, tuple(envoy.wasm_errors()[errors_before:]))


def diagnose(envoy: EnvoyHandle, what: str, error: Exception, timeout: float) -> tuple[str, str]:
    """Why Envoy gave no answer to ``what``: (cause, message)."""
    code = envoy.exit_code()
    if code is None:
        code = envoy.wait_exit(0.5)  # a crashing Envoy may still be writing its backtrace
    if code is not None:
        crash = [line for line in envoy.logs().splitlines() if "Caught " in line or "Wasm VM failed" in line]
        detail = f" Envoy's log: {crash[0].split('] ', 3)[-1]}" if crash else ""
        return "crashed", (
            f"Envoy died ({describe_exit(code)}) while serving {what}: the module took the whole proxy down, "
            f"every listener with it.{detail}"
        )
    # Envoy runs. With one worker, the passthrough listener (no module) shares the thread that ran the
    # module: if it cannot answer either, that thread is stuck inside the module.
    if not answers(envoy.passthrough_url, min(timeout, 2.0)):
        envoy.wedged = True
        return "wedged", (
            f"Envoy's worker stopped answering during {what}: no listener answers, not even the one without "
            "the module, while admin /ready still says LIVE. The module is running endlessly in a callback "
            "(Envoy has no execution time limit; only a watchdog would end it, by aborting the process)."
        )
    return "timeout", f"no answer to {what} within {timeout:g} s ({type(error).__name__}: {error})"


def answers(url: str, timeout: float) -> bool:
    try:
        get(url + "/__wasmhub/alive", timeout)
    except httpx.HTTPError:
        return False
    return True


def reset_mid_body(url: str, path: str, declared: int, sent: int, timeout: float) -> None:
    """Open a connection, send headers and part of a body, then reset it (RST, not a clean close)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: wasmhub\r\nContent-Length: {declared}\r\n\r\n"
        sock.sendall(head.encode() + b"x" * sent)
        # SO_LINGER with a zero timeout turns close() into a TCP reset
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def close_early(url: str, partial_request: bytes, timeout: float) -> None:
    """Send the start of a request and close the connection cleanly before it is complete."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(partial_request)


@dataclass
class ModuleChanges:
    """What the module did to one exchange, found by sending it with and without the module."""

    status: tuple[int, int] | None = None
    response_added: dict[str, str] = field(default_factory=dict)
    response_removed: dict[str, str] = field(default_factory=dict)
    response_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    body: tuple[int, int] | None = None  # sizes, when the body changed
    request_added: dict[str, str] = field(default_factory=dict)
    request_removed: dict[str, str] = field(default_factory=dict)
    request_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    request_body: tuple[int, int] | None = None
    reached_upstream: bool = True

    def lines(self) -> list[str]:
        out = []
        if not self.reached_upstream:
            out.append("the request did not reach the upstream: the module answered it")
        if self.status:
            out.append(f"status {self.status[0]} -> {self.status[1]}")
        for label, added, removed, changed in (
            ("request header", self.request_added, self.request_removed, self.request_changed),
            ("response header", self.response_added, self.response_removed, self.response_changed),
        ):
            out += [f"{label} added: {k}: {v}" for k, v in added.items()]
            out += [f"{label} removed: {k}" for k in removed]
            out += [f"{label} changed: {k}: {a!r} -> {b!r}" for k, (a, b) in changed.items()]
        if self.request_body:
            out.append(f"request body changed: {self.request_body[0]} -> {self.request_body[1]} bytes")
        if self.body:
            out.append(f"response body changed: {self.body[0]} -> {self.body[1]} bytes")
        return out or ["no change"]


def compare(
    plain: httpx.Response,
    through: httpx.Response,
    plain_seen: RecordedRequest | None,
    through_seen: RecordedRequest | None,
) -> ModuleChanges:
    """Compare an exchange without the module (``plain``) and with it (``through``)."""
    changes = ModuleChanges(reached_upstream=through_seen is not None)
    if plain.status_code != through.status_code:
        changes.status = (plain.status_code, through.status_code)
    _diff_headers(
        dict(plain.headers),
        dict(through.headers),
        changes.response_added,
        changes.response_removed,
        changes.response_changed,
    )
    if plain.content != through.content:
        changes.body = (len(plain.content), len(through.content))
    if plain_seen is not None and through_seen is not None:
        _diff_headers(
            dict(plain_seen.headers),
            dict(through_seen.headers),
            changes.request_added,
            changes.request_removed,
            changes.request_changed,
        )
        if plain_seen.body != through_seen.body:
            changes.request_body = (len(plain_seen.body), len(through_seen.body))
    return changes


def _diff_headers(
    before: dict[str, str], after: dict[str, str], added: dict, removed: dict, changed: dict
) -> None:
    lower_before = {k.lower(): v for k, v in before.items() if k.lower() not in VOLATILE_HEADERS}
    lower_after = {k.lower(): v for k, v in after.items() if k.lower() not in VOLATILE_HEADERS}
    for name, value in lower_after.items():
        if name not in lower_before:
            added[name] = value
        elif lower_before[name] != value:
            changed[name] = (lower_before[name], value)
    for name, value in lower_before.items():
        if name not in lower_after:
            removed[name] = value
