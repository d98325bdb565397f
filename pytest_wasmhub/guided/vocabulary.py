"""The module's vocabulary: the names it asks the host for (header names, pseudo-headers, property
paths, shared-data keys, queue names), learnt from the in-process host's trace of ordinary requests,
and the printable strings in its data segments. The guided search builds requests from these words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..host import ProxyWasmHost, StreamResult
from ..host.checks import STANDARD_TRAFFIC, run_traffic
from ..wasm_binary import DATA_SECTION, WasmFormatError, section_payloads

# header maps whose keys name request headers a client can send
REQUEST_MAPS = frozenset({"HTTP_REQUEST_HEADERS", "HTTP_REQUEST_TRAILERS"})
MAP_CALLS = frozenset(
    {
        "proxy_get_header_map_value",
        "proxy_add_header_map_value",
        "proxy_replace_header_map_value",
        "proxy_remove_header_map_value",
    }
)
SHARED_DATA_CALLS = frozenset({"proxy_get_shared_data", "proxy_set_shared_data"})
QUEUE_CALLS = frozenset({"proxy_register_shared_queue", "proxy_resolve_shared_queue"})
PROPERTY_CALLS = frozenset({"proxy_get_property", "proxy_set_property"})
REQUEST_HEADER_PROPERTY = "request.headers."

# a header name a client may send (RFC 9110 token, lower case as Envoy keeps it)
_HEADER_NAME = re.compile(rb"^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$")
# strings in data segments that look like header names: lower-case words joined by hyphens
_HEADER_LIKE = re.compile(rb"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
_PRINTABLE_RUN = re.compile(rb"[\x20-\x7e]{3,}")
_WORD = re.compile(rb"[A-Za-z0-9_.:/@=+-]{2,48}")
# names a client cannot choose freely: Envoy owns them, or they frame the message (the replay through
# Envoy would not carry them as the host saw them)
RESERVED = frozenset(
    {
        b"host",
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"upgrade",
        b"te",
        b"expect",
        b"trailer",
        b"x-request-id",
        b"x-forwarded-proto",
        b"x-forwarded-for",
        b"http2-settings",
    }
)
MAX_STRING_NAMES = 48
MAX_WORDS = 96


@dataclass(frozen=True)
class Vocabulary:
    """What the module asked for, in the order it first asked, then what its data segments say."""

    header_names: tuple[bytes, ...] = ()  # request headers it read or edited, then header-like strings
    asked_headers: tuple[bytes, ...] = ()  # the ones it asked the host for (the trace)
    pseudo_headers: tuple[bytes, ...] = ()
    properties: tuple[str, ...] = ()
    shared_data_keys: tuple[bytes, ...] = ()
    queue_names: tuple[bytes, ...] = ()
    words: tuple[bytes, ...] = ()  # printable strings of the data segments, for values, paths, bodies

    def as_dict(self) -> dict[str, list[str]]:
        def shown(items: Iterable[bytes | str]) -> list[str]:
            return [i.decode("utf-8", "replace") if isinstance(i, bytes) else i for i in items]

        return {
            "asked_headers": shown(self.asked_headers),
            "header_names": shown(self.header_names),
            "pseudo_headers": shown(self.pseudo_headers),
            "properties": shown(self.properties),
            "shared_data_keys": shown(self.shared_data_keys),
            "queue_names": shown(self.queue_names),
            "words": len(self.words),  # type: ignore[dict-item]
        }

    def summary(self) -> str:
        asked = ", ".join(n.decode("latin-1") for n in self.asked_headers[:8]) or "none"
        return (
            f"{len(self.header_names)} header names (asked for: {asked}), {len(self.pseudo_headers)} "
            f"pseudo-headers, {len(self.properties)} properties, {len(self.words)} strings"
        )


def learn(host: ProxyWasmHost) -> tuple[Vocabulary, list[StreamResult]]:
    """Run the suite's ordinary requests through ``host`` and read what the module asked for; the
    streams' results come back too (a module that fails them already is judged by other cases)."""
    mark = host.trace.next_seq()
    results = run_traffic(host, STANDARD_TRAFFIC)
    return from_calls(host.trace.since(mark), host.module_data), results


def from_calls(calls: Iterable, module_data: bytes) -> Vocabulary:
    asked: dict[bytes, None] = {}
    pseudo: dict[bytes, None] = {}
    properties: dict[str, None] = {}
    shared: dict[bytes, None] = {}
    queues: dict[bytes, None] = {}
    for record in calls:
        args = record.args
        if (
            record.name in MAP_CALLS
            and args.get("map") in REQUEST_MAPS
            and isinstance(args.get("key"), bytes)
        ):
            key = args["key"].lower()
            (pseudo if key.startswith(b":") else asked)[key] = None
        elif record.name in PROPERTY_CALLS and isinstance(args.get("path"), str):
            path = args["path"]
            properties[path] = None
            if path.startswith(REQUEST_HEADER_PROPERTY):
                asked[path[len(REQUEST_HEADER_PROPERTY) :].lower().encode()] = None
        elif record.name in SHARED_DATA_CALLS and isinstance(args.get("key"), (bytes, str)):
            shared[_as_bytes(args["key"])] = None
        elif record.name in QUEUE_CALLS and isinstance(args.get("name"), (bytes, str)):
            queues[_as_bytes(args["name"])] = None
    strings = data_strings(module_data)
    words = list(dict.fromkeys(w for s in strings for w in _WORD.findall(s)))[:MAX_WORDS]
    sendable = [n for n in asked if _HEADER_NAME.match(n) and n not in RESERVED]
    from_data = [
        w.lower()
        for w in words
        if _HEADER_LIKE.match(w.lower()) and w.lower() not in RESERVED and w.lower() not in asked
    ][:MAX_STRING_NAMES]
    return Vocabulary(
        header_names=tuple(dict.fromkeys([*sendable, *from_data])),
        asked_headers=tuple(sendable),
        pseudo_headers=tuple(pseudo),
        properties=tuple(properties),
        shared_data_keys=tuple(shared),
        queue_names=tuple(queues),
        words=tuple(words),
    )


def data_strings(module_data: bytes) -> list[bytes]:
    """Runs of printable ASCII in the module's data segments, in order."""
    try:
        payloads = section_payloads(module_data, DATA_SECTION)
    except WasmFormatError:
        return []
    return [run for payload in payloads for run in _PRINTABLE_RUN.findall(payload)]


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
