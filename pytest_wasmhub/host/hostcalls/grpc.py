"""gRPC: ``proxy_grpc_call``, ``proxy_grpc_stream``, ``proxy_grpc_send``, ``proxy_grpc_cancel``,
``proxy_grpc_close``. Statuses as Envoy answers them (measured, see ``..answers``): an unparsable service
PARSE_FAILURE unless the bytes are the name of a cluster, an unknown cluster INTERNAL_FAILURE, an unknown
token BAD_ARGUMENT."""

from __future__ import annotations

from .. import pairs
from ..codes import Status
from ..grpc import GrpcCall, GrpcServiceError, cluster_of, open_call
from ..messages import HeaderMap
from .base import Call, env_function


def _open(call: Call, service: bytes, name: bytes, method: bytes, metadata: bytes, timeout_ms: int | None,
          message: bytes | None, token_ptr: int) -> int:  # fmt: skip
    host = call.host
    try:
        cluster = cluster_of(service)
    except GrpcServiceError as exc:
        # Envoy then reads the bytes as a cluster name (what the Rust SDK passes); PARSE_FAILURE only
        # when it has no such cluster (measured on 1.36 and 1.40)
        cluster = service.decode("utf-8", "replace")
        if host.clusters is not None and cluster not in host.clusters:
            call.note(unparsable_service=str(exc))
            return Status.PARSE_FAILURE
    call.note(cluster=cluster, service=name, method=method)
    if cluster is None:
        host.report_problem("unimplemented", f"{call.name}: a Google gRPC service (only envoy_grpc)")
        return Status.INTERNAL_FAILURE
    if host.clusters is not None and cluster not in host.clusters:
        call.note(unknown_cluster=cluster)
        return Status.INTERNAL_FAILURE
    root = host.root_of(call.context)
    if root is None:
        return Status.BAD_ARGUMENT
    try:
        initial = HeaderMap(pairs.decode(metadata)) if metadata else HeaderMap()
    except pairs.PairsFormatError:
        initial = HeaderMap()
    deadline = host.clock.monotonic_ms + timeout_ms if timeout_ms else None
    opened = GrpcCall(
        0, cluster, name.decode("utf-8", "replace"), method.decode("utf-8", "replace"), initial,
        [] if message is None else [message], root.id, deadline, stream=message is None,
    )  # fmt: skip
    token = open_call(host, root, opened)
    call.write_u32(token_ptr, token)
    call.note(token=token)
    return Status.OK


@env_function()
def proxy_grpc_call(
    call: Call,
    service_ptr: int,
    service_size: int,
    service_name_ptr: int,
    service_name_size: int,
    method_name_ptr: int,
    method_name_size: int,
    initial_metadata_ptr: int,
    initial_metadata_size: int,
    request_ptr: int,
    request_size: int,
    timeout_ms: int,
    return_token_ptr: int,
) -> int:
    return _open(
        call, call.read(service_ptr, service_size), call.read(service_name_ptr, service_name_size),
        call.read(method_name_ptr, method_name_size), call.read(initial_metadata_ptr, initial_metadata_size),
        timeout_ms, call.read(request_ptr, request_size), return_token_ptr,
    )  # fmt: skip


@env_function()
def proxy_grpc_stream(
    call: Call,
    service_ptr: int,
    service_size: int,
    service_name_ptr: int,
    service_name_size: int,
    method_name_ptr: int,
    method_name_size: int,
    initial_metadata_ptr: int,
    initial_metadata_size: int,
    return_token_ptr: int,
) -> int:
    return _open(
        call, call.read(service_ptr, service_size), call.read(service_name_ptr, service_name_size),
        call.read(method_name_ptr, method_name_size), call.read(initial_metadata_ptr, initial_metadata_size),
        None, None, return_token_ptr,
    )  # fmt: skip


@env_function()
def proxy_grpc_send(call: Call, token: int, message_ptr: int, message_size: int, end_stream: int) -> int:
    message = call.read(message_ptr, message_size)
    call.note(message=message, end_stream=bool(end_stream))
    opened = call.host.pending_grpc_calls.get(token)
    if opened is None or not opened.stream or opened.half_closed:
        return Status.BAD_ARGUMENT
    opened.messages.append(message)
    opened.half_closed = bool(end_stream)
    return Status.OK


@env_function()
def proxy_grpc_cancel(call: Call, token: int) -> int:
    if call.host.pending_grpc_calls.pop(token, None) is None:
        return Status.BAD_ARGUMENT
    return Status.OK  # no callback follows a cancel


@env_function()
def proxy_grpc_close(call: Call, token: int) -> int:
    opened = call.host.pending_grpc_calls.get(token)
    if opened is None:
        return Status.BAD_ARGUMENT
    if opened.stream:
        opened.half_closed = True  # the module's side ends; the upstream's answer still comes
    else:
        del call.host.pending_grpc_calls[token]
    return Status.OK
