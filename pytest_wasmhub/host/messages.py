"""HTTP messages as the host sees them: header maps of bytes, requests, responses, callouts, and the
result of one stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import GuestFailure
    from .logs import LogRecord
    from .trace import CallRecord

Text = str | bytes
_new_object = object.__new__


def to_bytes(value: Text | int) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", errors="surrogateescape")


def to_text(value: bytes) -> str:
    return value.decode("utf-8", errors="surrogateescape")


class HeaderMap:
    """An ordered multimap with lower-cased keys, as Envoy keeps headers (``Http::LowerCaseString``)."""

    __slots__ = ("pairs",)

    def __init__(self, items: HeaderInput = None) -> None:
        self.pairs: list[tuple[bytes, bytes]] = []
        if isinstance(items, HeaderMap):
            self.pairs = list(items.pairs)
        elif items is not None:
            source = items.items() if isinstance(items, Mapping) else items
            # inlined ``add(to_bytes(key), to_bytes(value))``: several maps are built per stream
            self.pairs = [
                (
                    (key if type(key) is bytes else to_bytes(key)).lower(),
                    value if type(value) is bytes else to_bytes(value),
                )
                for key, value in source
            ]

    def copy(self) -> HeaderMap:
        copied = _new_object(HeaderMap)  # without ``__init__``: several maps are copied per stream
        copied.pairs = self.pairs[:]
        return copied

    # what the ABI needs
    def get_first(self, key: bytes) -> bytes | None:
        key = key.lower()
        for k, v in self.pairs:
            if k == key:
                return v
        return None

    def add(self, key: bytes, value: bytes) -> None:
        self.pairs.append((key.lower(), value))

    def remove(self, key: bytes) -> None:
        key = key.lower()
        self.pairs = [(k, v) for k, v in self.pairs if k != key]

    def replace(self, key: bytes, value: bytes) -> None:
        # Envoy's setCopy: drop every entry with the key, then add one
        self.remove(key)
        self.add(key, value)

    def set_all(self, pairs: Iterable[tuple[bytes, bytes]]) -> None:
        self.pairs = [(k.lower(), v) for k, v in pairs]

    def byte_size(self) -> int:
        """What Envoy's ``proxy_get_header_map_size`` returns: the bytes of all keys and values."""
        return sum(len(k) + len(v) for k, v in self.pairs)

    # what tests want
    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.get_first(to_bytes(name))
        return default if value is None else to_text(value)

    def get_all(self, name: str) -> list[str]:
        key = to_bytes(name).lower()
        return [to_text(v) for k, v in self.pairs if k == key]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, (str, bytes)) and self.get_first(to_bytes(name)) is not None

    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((to_text(k), to_text(v)) for k, v in self.pairs)

    def items(self) -> list[tuple[str, str]]:
        return list(self)

    def to_dict(self) -> dict[str, str]:
        """Keys to their first value (use ``get_all`` for repeated headers)."""
        out: dict[str, str] = {}
        for k, v in self:
            out.setdefault(k, v)
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HeaderMap):
            return self.pairs == other.pairs
        return NotImplemented

    def __repr__(self) -> str:
        return f"HeaderMap({self.items()!r})"


HeaderInput = Mapping[str, Text] | Iterable[tuple[Text, Text]] | HeaderMap | None


@dataclass
class Response:
    """A response from the upstream, or the one the client got."""

    status: int = 200
    headers: HeaderInput = None
    body: bytes = b""
    trailers: HeaderInput = None

    def __post_init__(self) -> None:
        self.headers = HeaderMap(self.headers)
        self.trailers = HeaderMap(self.trailers) if self.trailers is not None else None
        self.body = to_bytes(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)  # type: ignore[union-attr]

    @classmethod
    def of(cls, status: int, headers: HeaderMap, body: bytes, trailers: HeaderMap | None) -> Response:
        """A response of maps the host just built: taken as they are, without the copies of ``__init__``."""
        response = cls.__new__(cls)
        response.status, response.headers, response.body, response.trailers = status, headers, body, trailers
        return response


@dataclass
class UpstreamRequest:
    """What went past the filter towards the upstream."""

    headers: HeaderMap
    body: bytes = b""
    trailers: HeaderMap | None = None

    @property
    def method(self) -> str | None:
        return self.headers.get(":method")

    @property
    def path(self) -> str | None:
        return self.headers.get(":path")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class HttpCall:
    """An HTTP callout the module dispatched with ``proxy_http_call``."""

    token: int
    upstream: str
    headers: HeaderMap
    body: bytes
    trailers: HeaderMap
    timeout_ms: int
    context_id: int  # the root context that receives proxy_on_http_call_response
    deadline_ms: float | None  # on the host clock; None without a timeout
    answered: bool = False

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class LocalResponse:
    """A reply the module asked for with ``proxy_send_local_response``."""

    status: int
    details: str
    body: bytes
    headers: list[tuple[bytes, bytes]]
    grpc_status: int
    callback: str  # where it was sent from


@dataclass
class StreamResult:
    """What one HTTP stream did: what reached the upstream, what the client got, and why."""

    context_id: int
    upstream_request: UpstreamRequest | None = None
    response: Response | None = None
    local_response: LocalResponse | None = None
    failure: GuestFailure | None = None  # the guest failure that ended the stream, if any
    response_details: str = ""  # Envoy's %RESPONSE_CODE_DETAILS%, e.g. "via_upstream", "wasm_fail_stream"
    stalled_at: str | None = None  # the callback after which the stream could not move on
    reset: bool = False
    bypassed: bool = False  # the failure policy let the stream skip the module
    actions: list[tuple[str, int]] = field(default_factory=list)  # (callback, value returned)
    logs: list[LogRecord] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status

    @property
    def request_headers(self) -> HeaderMap | None:
        return None if self.upstream_request is None else self.upstream_request.headers

    @property
    def response_headers(self) -> HeaderMap | None:
        return None if self.response is None else self.response.headers  # type: ignore[return-value]

    @property
    def body(self) -> bytes | None:
        return None if self.response is None else self.response.body

    def describe(self) -> str:
        outcome = (
            f"stalled after {self.stalled_at}"
            if self.stalled_at
            else f"reset ({self.response_details})"
            if self.reset
            else f"{self.status} ({self.response_details})"
        )
        return f"stream {self.context_id}: {outcome}" + (
            f"; {self.failure.describe()}" if self.failure else ""
        )
