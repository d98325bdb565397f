"""The values behind ``proxy_get_property``: Envoy's attributes (``request.path``, ``source.address``,
``plugin_name``...) for the current stream, plus what the test adds.

Serialization follows Envoy's ``serializeValue``: strings and bytes as they are, integers as 8 bytes
little-endian, booleans as one byte, maps as serialized pairs. A top-level name Envoy does not know is
looked up among the values the stream set with ``proxy_set_property``.

Envoy cannot serialize its map-valued attributes themselves (``request``, ``source``, ...: measured on
1.36 and 1.40, SERIALIZATION_FAILURE in a stream, NOT_FOUND outside one), only their leaves; ``metadata``
(a protobuf message, empty here) comes back OK and empty.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import pairs
from .contexts import HttpContext
from .messages import HeaderMap, to_bytes

# attributes Envoy answers SERIALIZATION_FAILURE for when asked as a whole, in a stream
MAP_VALUED_ATTRIBUTES = frozenset(("request", "source", "destination", "connection", "upstream", "response"))


class UnserializableProperty(Exception):
    """Envoy has the value but cannot serialize it (``proxy_get_property`` answers SERIALIZATION_FAILURE)."""


if TYPE_CHECKING:
    from .contexts import Context
    from .stream import Stream


def serialize(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"\x01" if value else b"\x00"
    if isinstance(value, int):
        return struct.pack("<q", value)
    if isinstance(value, (bytes, str)):
        return to_bytes(value)
    if isinstance(value, HeaderMap):
        return pairs.encode(value.pairs)
    if isinstance(value, Mapping):
        return pairs.encode((to_bytes(k), serialize(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return pairs.encode((serialize(v), b"") for v in value)
    raise TypeError(f"property value {value!r} has no proxy-wasm serialization")


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``; a tuple key names the path segments exactly."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        parts = list(key) if isinstance(key, tuple) else key.split(".")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class Properties:
    """Resolves property paths for a context. ``standard=False`` leaves only the test's own values."""

    def __init__(self, plugin: Mapping[str, Any], user: Mapping[str, Any], standard: bool = True) -> None:
        self.plugin = dict(plugin)  # plugin_name, plugin_root_id, plugin_vm_id
        self.user = _nest(user)
        self.standard = standard

    def tree_for(self, context: Context | None) -> dict[str, Any]:
        tree: dict[str, Any] = dict(self.plugin) if self.standard else {}
        stream = context.stream if isinstance(context, HttpContext) else None
        if self.standard and stream is not None:
            tree = _merge(tree, stream_attributes(stream))
        return _merge(tree, self.user)

    def lookup(self, context: Context | None, path: list[bytes]) -> bytes | None:
        """The serialized value, None when Envoy has none; ``UnserializableProperty`` for a whole
        map-valued attribute."""
        if not path or path == [b""]:
            return None
        first = path[0].decode("utf-8", "surrogateescape")
        in_stream = isinstance(context, HttpContext) and context.stream is not None
        if (
            self.standard
            and len(path) == 1
            and first in MAP_VALUED_ATTRIBUTES
            and _nest_key(self.user, first)
        ):
            if in_stream:
                raise UnserializableProperty(first)
            return None
        tree = self.tree_for(context)
        if first not in tree:
            state = context.filter_state if isinstance(context, HttpContext) else {}
            return state.get(path[0]) if len(path) == 1 else None
        node: Any = tree[first]
        for part in path[1:]:
            key = part.decode("utf-8", "surrogateescape")
            if isinstance(node, HeaderMap):
                node = node.get_first(part)
            elif isinstance(node, Mapping):
                node = node.get(key)
            else:
                return None
            if node is None:
                return None
        return serialize(node)


def _nest_key(user: dict[str, Any], name: str) -> bool:
    """True unless the test gave ``name`` a value of its own (not a map)."""
    return name not in user or isinstance(user[name], dict)


def stream_attributes(stream: Stream) -> dict[str, Any]:
    """Envoy's request/response/connection attributes for one stream.

    As in Envoy (``Context::findValue``), what comes from a header map exists only while the module can
    reach that map: the request's path, method or headers are gone once the request headers went
    upstream (Envoy 1.40 answers NOT_FOUND for ``request.path`` in ``proxy_on_response_headers``), and
    come back as the access-log copies in ``proxy_on_log``.
    """
    from .codes import MapType

    request = stream.request
    attributes: dict[str, Any] = {
        "request": {"protocol": "HTTP/1.1", "time": stream.started_ns},
        "source": _address(stream.host.downstream_address),
        "destination": _address(stream.host.listener_address),
        "connection": {"id": stream.context.id, "mtls": False},
        "metadata": b"",  # the route's metadata message, empty
    }
    if stream.log_phase:
        request_headers = stream.log_maps.get(MapType.HTTP_REQUEST_HEADERS)
    else:
        request_headers = request.headers if request.headers_open and not request.revoked else None
    if request_headers is not None:
        attributes["request"].update(_request_from_headers(request_headers))
    response = stream.response
    if response is not None:
        status = response.headers.get(":status")
        attributes["response"] = {"code_details": stream.result.response_details}
        if status is not None and status.isdigit():
            attributes["response"]["code"] = int(status)
        if stream.log_phase:
            response_headers = stream.log_maps.get(MapType.HTTP_RESPONSE_HEADERS)
        else:
            response_headers = response.headers if response.headers_open and not response.revoked else None
        if response_headers is not None:
            attributes["response"]["headers"] = response_headers
    return attributes


def _request_from_headers(headers: HeaderMap) -> dict[str, Any]:
    path = headers.get(":path") or ""
    url_path, _, query = path.partition("?")
    values: dict[str, Any] = {
        "path": path,
        "url_path": url_path,
        "query": query,
        "host": headers.get(":authority") or "",
        "scheme": headers.get(":scheme") or "",
        "method": headers.get(":method") or "",
        "headers": headers,
    }
    for name, header in (("id", "x-request-id"), ("referer", "referer"), ("useragent", "user-agent")):
        value = headers.get(header)
        if value is not None:
            values[name] = value
    return values


def _address(address: tuple[str, int]) -> dict[str, Any]:
    host, port = address
    return {"address": f"{host}:{port}", "port": port}
