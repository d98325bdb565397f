"""Envoy's own record of each request: the JSON access log every bootstrap of the suite writes.

The suite marks each request it sends with a header of its own (``x-wasmhub-request``); Envoy copies it
into the record, so a request is judged by what Envoy did with it: forwarded (``via_upstream``), answered
by a filter (the module's details), failed by Wasm (``wasm_fail_stream``), reset, or given up on by the
client while Envoy still held it (``downstream_remote_disconnect``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

REQUEST_HEADER = "x-wasmhub-request"
_MARKER = "wasmhub_access"

# RESPONSE_CODE_DETAILS that Envoy itself sets (prefixes); any other details on a reply that did not
# come from the upstream were chosen by a filter: the module's proxy_send_local_response
ENVOY_DETAILS = (
    "via_upstream",
    "wasm_fail_stream",
    "request_payload_too_large",
    "response_payload_too_large",
    "direct_response",
    "route_not_found",
    "cluster_not_found",
    "no_healthy_upstream",
    "upstream_",
    "downstream_",
    "codec_error",
    "http1.",
    "http2.",
    "duration_timeout",
    "stream_idle_timeout",
    "request_overall_timeout",
    "request_header_timeout",
    "response_1xx",
    "filter_chain_not_found",
    "internal_redirect",
    "maintenance_mode",
    "overload",
    "admin_filter_response",
    "missing_host_header",
    "absolute_path_rejected",
    "path_normalization_failed",
    "low_version",
    "early_dns",
)
# Envoy's own replies that a module's buffering causes (it held more than the buffer limit)
BUFFER_LIMIT_DETAILS = ("request_payload_too_large", "response_payload_too_large")


@dataclass(frozen=True)
class AccessRecord:
    listener: str
    request: str  # the suite's id, or "" for requests it did not mark
    method: str
    path: str
    protocol: str
    code: int  # 0: Envoy sent no response
    details: str
    flags: str
    upstream_host: str
    upstream_failure: str
    termination: str
    bytes_received: int
    bytes_sent: int
    duration_ms: int

    @property
    def reached_upstream(self) -> bool:
        return bool(self.upstream_host)

    @property
    def by_envoy(self) -> bool:
        """The details are Envoy's own (not a filter's chosen words)."""
        return self.details.startswith(ENVOY_DETAILS)

    def describe(self) -> str:
        parts = [f"{self.code or 'no response'} {self.details or '-'}"]
        if self.flags and self.flags != "-":
            parts.append(f"flags {self.flags}")
        if self.upstream_failure:
            parts.append(self.upstream_failure)
        if self.termination:
            parts.append(self.termination)
        return ", ".join(parts)


def parse_access_log(text: str) -> list[AccessRecord]:
    records = []
    for line in text.splitlines():
        if not line.startswith("{") or _MARKER not in line:
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError:
            continue  # a record cut by a crash mid-write
        records.append(_record(raw))
    return records


class AccessReader:
    """Envoy's access records parsed as the log grows: each call parses only the complete lines
    appended since the last one (a line still being written waits for the next call)."""

    def __init__(self) -> None:
        self._seen = ""  # the end of the text parsed so far (a sample, to tell the same log grew)
        self._seen_to = 0
        self._records: list[AccessRecord] = []

    def records(self, text: str) -> list[AccessRecord]:
        sample_at = self._seen_to - len(self._seen)
        if not text.startswith(self._seen, sample_at) or len(text) < self._seen_to:
            self.__init__()  # not the text parsed before: start again
        complete = text.rfind("\n") + 1
        if complete > self._seen_to:
            self._records.extend(parse_access_log(text[self._seen_to : complete]))
            self._seen_to = complete
            self._seen = text[max(0, complete - 64) : complete]
        return list(self._records)


def _record(raw: dict) -> AccessRecord:
    def text(key: str) -> str:
        value = raw.get(key)
        return "" if value in (None, "-") else str(value)

    def number(key: str) -> int:
        value = raw.get(key)
        return value if isinstance(value, int) else int(value) if str(value).isdigit() else 0

    return AccessRecord(
        listener=text(_MARKER),
        request=text("request"),
        method=text("method"),
        path=text("path"),
        protocol=text("protocol"),
        code=number("code"),
        details=text("details"),
        flags=text("flags"),
        upstream_host=text("upstream_host"),
        upstream_failure=text("upstream_failure"),
        termination=text("termination"),
        bytes_received=number("bytes_received"),
        bytes_sent=number("bytes_sent"),
        duration_ms=number("duration_ms"),
    )
