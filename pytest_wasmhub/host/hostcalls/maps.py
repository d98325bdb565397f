"""Header and trailer maps: ``proxy_{get,add,replace,remove}_header_map_value``,
``proxy_{get,set}_header_map_pairs``, ``proxy_get_header_map_size``.

Which map a call can reach follows Envoy: request headers only from ``proxy_on_request_headers`` until
they are continued, trailers only in their callback (or added in the last body callback), read-only
copies in ``proxy_on_log``, the callout's response only in ``proxy_on_http_call_response``. Elsewhere
Envoy answers BAD_ARGUMENT ("Requested map type is not currently available"); the call is noted.
"""

from __future__ import annotations

from .. import pairs
from ..codes import MapType, Status
from ..contexts import HttpContext
from ..messages import HeaderMap
from .base import Call, env_function

_MAX_MAP_TYPE = int(max(MapType))
_MAP_NAMES = {int(m): m.name for m in MapType}  # by number: MapType(n) costs more than the whole lookup
_REQUEST_MAPS = frozenset({MapType.HTTP_REQUEST_HEADERS, MapType.HTTP_REQUEST_TRAILERS})
_HEADER_MAPS = frozenset({MapType.HTTP_REQUEST_HEADERS, MapType.HTTP_RESPONSE_HEADERS})
_TRAILER_MAPS = frozenset({MapType.HTTP_REQUEST_TRAILERS, MapType.HTTP_RESPONSE_TRAILERS})
_GRPC_MAPS = frozenset({MapType.GRPC_CALL_INITIAL_METADATA, MapType.GRPC_CALL_TRAILING_METADATA})
_CALLOUT_MAPS = frozenset({MapType.HTTP_CALL_RESPONSE_HEADERS, MapType.HTTP_CALL_RESPONSE_TRAILERS})


def find_map(call: Call, map_type: int, *, mutable: bool) -> HeaderMap | None:
    """The map the call addresses, or None when it is not available to this callback."""
    kind = int(map_type)  # compares and hashes like its MapType
    if kind == 0 or kind == 2:  # HTTP_REQUEST_HEADERS, HTTP_RESPONSE_HEADERS: the walk below, in short
        context = call.context
        stream = context.stream if isinstance(context, HttpContext) else None
        if stream is None:
            return None
        if stream.log_phase:
            return None if mutable else stream.log_maps.get(kind)
        d = stream.request if kind == 0 else stream.response
        if d is None or d.revoked or not d.headers_open:
            return None
        return d.headers
    if kind in _GRPC_MAPS:
        root = call.host.root_of(call.context)
        delivery = None if root is None else root.grpc
        wanted = "initial" if kind == MapType.GRPC_CALL_INITIAL_METADATA else "trailing"
        return delivery.metadata if delivery is not None and delivery.metadata_kind == wanted else None
    if kind in _CALLOUT_MAPS:
        root = call.host.root_of(call.context)
        response = None if root is None or mutable else root.http_call_response
        if response is None:
            return None
        return response.headers if kind == MapType.HTTP_CALL_RESPONSE_HEADERS else response.trailers  # type: ignore[return-value]
    context = call.context
    stream = context.stream if isinstance(context, HttpContext) else None
    if stream is None:
        return None
    if kind in _TRAILER_MAPS:
        d = stream.request if kind == MapType.HTTP_REQUEST_TRAILERS else stream.response
        if d is not None and d.trailers is not None:
            return d.trailers
        if d is not None and d.forwarded_trailers is not None:
            # Envoy keeps a stream's trailers reachable and writable to the end (measured); changes
            # made once they went on reach nobody
            if d.late_trailers is None:
                d.late_trailers = d.forwarded_trailers.copy()
            return d.late_trailers
    if stream.log_phase:
        return None if mutable else stream.log_maps.get(kind)
    d = stream.request if kind in _REQUEST_MAPS else stream.response
    if d is None or d.revoked:
        return None
    if kind in _HEADER_MAPS:
        return d.headers if d.headers_open else None
    if kind in (MapType.HTTP_REQUEST_TRAILERS, MapType.HTTP_RESPONSE_TRAILERS):
        if d.trailers is None and mutable and d.in_last_body:
            d.trailers = HeaderMap()  # Envoy addDecodedTrailers / addEncodedTrailers
        return d.trailers
    return None


def _map_or_none(call: Call, map_type: int, *, mutable: bool) -> HeaderMap | None:
    name = _MAP_NAMES[map_type]
    call.note(map=name)
    found = find_map(call, map_type, mutable=mutable)
    if found is None:
        call.unavailable(f"{name} is not available here")
    return found


@env_function()
def proxy_get_header_map_value(
    call: Call,
    map_type: int,
    key_ptr: int,
    key_size: int,
    return_value_ptr_ptr: int,
    return_value_size_ptr: int,
) -> int:
    if map_type > _MAX_MAP_TYPE:
        return Status.BAD_ARGUMENT
    key = call.read(key_ptr, key_size)
    call.note(key=key)
    headers = _map_or_none(call, map_type, mutable=False)
    old_abi = call.host.abi_version == "0.1.0"
    if headers is None:
        stream = getattr(call.context, "stream", None)
        if stream is None or not stream.log_phase:
            return Status.BAD_ARGUMENT
        value = b"" if old_abi else None  # the access-log phase answers like a missing header
    else:
        value = headers.get_first(key)
    if value is None:
        if not old_abi:
            return Status.NOT_FOUND
        value = b""  # ABI 0.1.0: OK with an empty value
    call.note(value=value)
    call.give(value, return_value_ptr_ptr, return_value_size_ptr)
    return Status.OK


@env_function()
def proxy_get_header_map_pairs(
    call: Call, map_type: int, return_map_ptr_ptr: int, return_map_size_ptr: int
) -> int:
    if map_type > _MAX_MAP_TYPE:
        return Status.BAD_ARGUMENT
    headers = _map_or_none(call, map_type, mutable=False)
    items = headers.pairs if headers is not None else []
    call.note(count=len(items))
    call.give(pairs.encode(items) if items else b"", return_map_ptr_ptr, return_map_size_ptr)
    return Status.OK


@env_function()
def proxy_set_header_map_pairs(call: Call, map_type: int, map_ptr: int, map_size: int) -> int:
    if map_type > _MAX_MAP_TYPE:
        return Status.BAD_ARGUMENT
    data = call.read(map_ptr, map_size)
    try:
        items = pairs.decode(data)
    except pairs.PairsFormatError as exc:
        call.note(malformed=str(exc))
        items = []  # cpp-host's toPairs yields an empty map for bytes it cannot read
    call.note(pairs=items)
    headers = _map_or_none(call, map_type, mutable=True)
    if headers is None:
        return Status.BAD_ARGUMENT
    headers.set_all(items)
    return Status.OK


@env_function()
def proxy_get_header_map_size(call: Call, map_type: int, return_size_ptr: int) -> int:
    if map_type > _MAX_MAP_TYPE:
        return Status.BAD_ARGUMENT
    headers = _map_or_none(call, map_type, mutable=True)
    if headers is None:
        return Status.BAD_ARGUMENT
    call.write_u32(return_size_ptr, headers.byte_size())
    return Status.OK


def _edit(
    call: Call, map_type: int, key_ptr: int, key_size: int, value: tuple[int, int] | None
) -> tuple[HeaderMap | None, bytes, bytes]:
    """The map an edit addresses (None: not available), its key and its value."""
    if value is None:
        key, data = call.read(key_ptr, key_size), b""
    else:
        key, data = call.read_two(key_ptr, key_size, *value)
    if call.record is not None:  # recording on (``_map_or_none``, inlined)
        if value is None:
            call.note(key=key, map=_MAP_NAMES[map_type])
        else:
            call.note(key=key, value=data, map=_MAP_NAMES[map_type])
    found = find_map(call, map_type, mutable=True)
    if found is None:
        call.unavailable(f"{_MAP_NAMES[map_type]} is not available here")
    return found, key, data


@env_function()
def proxy_add_header_map_value(
    call: Call, map_type: int, key_ptr: int, key_size: int, value_ptr: int, value_size: int
) -> int:
    if map_type > _MAX_MAP_TYPE:
        return Status.BAD_ARGUMENT
    headers, key, value = _edit(call, map_type, key_ptr, key_size, (value_ptr, value_size))
    if headers is None:
        return Status.BAD_ARGUMENT
    headers.add(key, value)
    return Status.OK


@env_function()
def proxy_replace_header_map_value(
    call: Call, map_type: int, key_ptr: int, key_size: int, value_ptr: int, value_size: int
) -> int:
    if map_type > _MAX_MAP_TYPE:
        return Status.BAD_ARGUMENT
    headers, key, value = _edit(call, map_type, key_ptr, key_size, (value_ptr, value_size))
    if headers is None:
        return Status.BAD_ARGUMENT
    headers.replace(key, value)
    return Status.OK


@env_function()
def proxy_remove_header_map_value(call: Call, map_type: int, key_ptr: int, key_size: int) -> int:
    if map_type > _MAX_MAP_TYPE:
        return Status.BAD_ARGUMENT
    headers, key, _ = _edit(call, map_type, key_ptr, key_size, None)
    if headers is None:
        return Status.BAD_ARGUMENT
    headers.remove(key)
    return Status.OK
