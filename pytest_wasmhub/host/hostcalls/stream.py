"""Stream control: ``proxy_continue_stream``, ``proxy_close_stream``, ``proxy_send_local_response``, and
ABI 0.1.0's ``proxy_continue_request`` / ``proxy_continue_response`` / ``proxy_clear_route_cache``. The stream acts on them after the
callback returns; Envoy takes the module's access to the continued message away at once."""

from __future__ import annotations

import re

from .. import pairs
from ..codes import Status, StreamType
from ..contexts import HttpContext
from ..messages import LocalResponse
from .base import Call, env_function

_MAX_STREAM_TYPE = max(StreamType)


def _stream(call: Call):
    context = call.context
    stream = context.stream if isinstance(context, HttpContext) else None
    if stream is None or stream.finished:
        call.unavailable(f"no HTTP stream in {call.within}")
        return None
    return stream


def _continue(call: Call, kind: StreamType) -> int:
    call.note(stream=kind.name)
    if kind == StreamType.UPSTREAM:
        return Status.UNIMPLEMENTED  # Envoy: continueStream(Upstream)
    if kind == StreamType.DOWNSTREAM:
        return Status.OK  # HTTP streams have no L4 reads to resume
    stream = _stream(call)
    if stream is not None:
        d = stream.request if kind == StreamType.HTTP_REQUEST else stream.response
        if d is not None:
            d.continue_requested = True
            d.revoked = True
    return Status.OK


@env_function()
def proxy_continue_stream(call: Call, stream_type: int) -> int:
    if stream_type > _MAX_STREAM_TYPE:
        return Status.BAD_ARGUMENT
    return _continue(call, StreamType(stream_type))


@env_function()
def proxy_continue_request(call: Call) -> int:
    return _continue(call, StreamType.HTTP_REQUEST)


@env_function()
def proxy_continue_response(call: Call) -> int:
    return _continue(call, StreamType.HTTP_RESPONSE)


@env_function()
def proxy_clear_route_cache(call: Call) -> int:
    """ABI 0.1.0: nothing to clear in this host (no routes); Envoy answers OK in every phase (measured)."""
    return Status.OK


@env_function()
def proxy_close_stream(call: Call, stream_type: int) -> int:
    if stream_type > _MAX_STREAM_TYPE:
        return Status.BAD_ARGUMENT
    call.note(stream=StreamType(stream_type).name)
    if stream_type in (StreamType.HTTP_REQUEST, StreamType.HTTP_RESPONSE):
        stream = _stream(call)
        if stream is not None:
            stream.close_requested = True
    return Status.OK


@env_function()
def proxy_send_local_response(
    call: Call,
    status_code: int,
    details_ptr: int,
    details_size: int,
    body_ptr: int,
    body_size: int,
    headers_ptr: int,
    headers_size: int,
    grpc_status: int,
) -> int:
    details = call.read_text(details_ptr, details_size)
    body = call.read(body_ptr, body_size)
    data = call.read(headers_ptr, headers_size)
    try:
        headers = pairs.decode(data)
    except pairs.PairsFormatError as exc:
        call.note(malformed_headers=str(exc))
        headers = []
    call.note(status_code=status_code, details=details, body=body, headers=headers)
    stream = _stream(call)
    if stream is not None and stream.local_response is None:
        stream.local_response = LocalResponse(
            status=status_code,
            details=re.sub(r"\s", "_", details),  # Envoy: StringUtil::replaceAllEmptySpace
            body=body,
            headers=[(k.lower(), v) for k, v in headers],
            grpc_status=grpc_status,
            callback=call.within or "",
        )
    return Status.OK
