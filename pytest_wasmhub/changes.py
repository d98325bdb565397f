"""What the module did to one exchange, found by sending it without the module and with it: status,
headers added, removed and changed, request and response bodies (sizes, the first differing byte and
an excerpt there), and whether the request reached the upstream at all."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from .envoy.accesslog import REQUEST_HEADER
from .upstream import RecordedRequest

# Headers whose values differ between any two requests, with or without a module.
VOLATILE_HEADERS = frozenset(
    {
        "date",
        "x-envoy-upstream-service-time",
        "x-request-id",
        "host",
        "content-length",
        "transfer-encoding",
        REQUEST_HEADER,
    }
)
EXCERPT = 24  # bytes shown on each side of a body change


@dataclass(frozen=True)
class BodyChange:
    before: int  # size without the module
    after: int  # size with it
    first_difference: int  # offset of the first byte that differs
    excerpt_before: str
    excerpt_after: str

    def line(self, label: str) -> str:
        return (
            f"{label} changed: {self.before} -> {self.after} bytes, first difference at byte "
            f"{self.first_difference}: {self.excerpt_before!r} -> {self.excerpt_after!r}"
        )


def body_change(before: bytes, after: bytes) -> BodyChange | None:
    if before == after:
        return None
    offset = next(
        (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
        min(len(before), len(after)),
    )

    def excerpt(data: bytes) -> str:
        return data[offset : offset + EXCERPT].decode("utf-8", errors="backslashreplace")

    return BodyChange(len(before), len(after), offset, excerpt(before), excerpt(after))


@dataclass
class ModuleChanges:
    status: tuple[int, int] | None = None
    response_added: dict[str, str] = field(default_factory=dict)
    response_removed: dict[str, str] = field(default_factory=dict)
    response_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    body: BodyChange | None = None
    request_added: dict[str, str] = field(default_factory=dict)
    request_removed: dict[str, str] = field(default_factory=dict)
    request_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    request_body: BodyChange | None = None
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
            out.append(self.request_body.line("request body"))
        if self.body:
            out.append(self.body.line("response body"))
        return out or ["no change"]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = {"without": self.status[0], "with": self.status[1]} if self.status else None
        for key in ("response_changed", "request_changed"):
            data[key] = {k: {"without": a, "with": b} for k, (a, b) in getattr(self, key).items()}
        return data


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
    changes.body = body_change(plain.content, through.content)
    if plain_seen is not None and through_seen is not None:
        _diff_headers(
            dict(plain_seen.headers),
            dict(through_seen.headers),
            changes.request_added,
            changes.request_removed,
            changes.request_changed,
        )
        changes.request_body = body_change(plain_seen.body, through_seen.body)
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
