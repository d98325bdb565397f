"""Answers for the module's gRPC calls: a real gRPC server (``GrpcForwarder``, with ``grpcio``), or what
Envoy answers when the cluster is the suite's plain HTTP/1 upstream, which echoes the request body
(measured on 1.40: a call ends in ``proxy_on_grpc_close`` with status 2, UNKNOWN; a stream first gets
back each message it sent, Envoy decoding the echoed frames, then the same close)."""

from __future__ import annotations

from collections.abc import Mapping

from .grpc import GrpcCall, GrpcReply

UNKNOWN = 2  # what a non-gRPC answer to a gRPC call becomes
UNAVAILABLE = 14
# gRPC's mapping of an HTTP status without grpc-status, which Envoy applies; any other status is UNKNOWN
HTTP_TO_GRPC = {400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14}


def http_upstream_answer(call: GrpcCall) -> GrpcReply:
    """What a gRPC call to an HTTP/1 upstream that echoes with 200 (not gRPC) gets from Envoy."""
    return GrpcReply(UNKNOWN, tuple(call.messages) if call.stream else ())


class Http1GrpcAnswer:
    """Envoy's answer to a gRPC call on a cluster it speaks HTTP/1.1 to (``--envoy-cluster NAME=HOST:PORT``
    without ``grpc://``): the call really goes there as an HTTP/1.1 POST, and what comes back becomes a
    gRPC status as Envoy makes it (measured on 1.40: a gRPC server, which speaks only HTTP/2, gives
    UNAVAILABLE; a 200 that is not gRPC gives UNKNOWN). Clusters without an address lead to the suite's
    upstream: ``http_upstream_answer``."""

    def __init__(self, targets: Mapping[str, str], timeout_s: float = 5.0):
        self.targets = dict(targets)
        self.timeout_s = timeout_s

    def __call__(self, call: GrpcCall) -> GrpcReply:
        import httpx

        target = self.targets.get(call.cluster)
        if target is None:
            return http_upstream_answer(call)
        headers = {"content-type": "application/grpc", "te": "trailers"}
        headers.update((k.lower(), v) for k, v in call.metadata.items() if not k.startswith(":"))
        try:
            with httpx.Client(timeout=self.timeout_s, trust_env=False) as client:
                answer = client.post(f"http://{target}{call.path}", content=call.body, headers=headers)
        except httpx.HTTPError as error:
            return GrpcReply(UNAVAILABLE, message=f"upstream connect error or disconnect: {error}")
        if "grpc-status" in answer.headers and answer.headers["grpc-status"].isdigit():
            return GrpcReply(
                int(answer.headers["grpc-status"]), message=answer.headers.get("grpc-message", "")
            )
        if answer.status_code != 200:
            return GrpcReply(HTTP_TO_GRPC.get(answer.status_code, UNKNOWN))
        return GrpcReply(UNKNOWN, _frames(answer.content) if call.stream else ())


def _frames(body: bytes) -> tuple[bytes, ...]:
    """The messages of a gRPC-framed body (5-byte prefix: flag, big-endian length); a torn tail is dropped."""
    messages, at = [], 0
    while at + 5 <= len(body):
        size = int.from_bytes(body[at + 1 : at + 5], "big")
        if at + 5 + size > len(body):
            break
        messages.append(body[at + 5 : at + 5 + size])
        at += 5 + size
    return tuple(messages)


class GrpcForwarder:
    """A ``grpc_call_handler`` that sends each call to a real gRPC server: ``targets`` maps a cluster
    to "HOST:PORT"; other clusters get ``fallback``. Messages pass as bytes (no stubs needed)."""

    def __init__(self, targets: Mapping[str, str], fallback=http_upstream_answer, timeout_s: float = 5.0):
        self.targets = dict(targets)
        self.fallback = fallback
        self.timeout_s = timeout_s

    def __call__(self, call: GrpcCall) -> GrpcReply:
        import grpc

        target = self.targets.get(call.cluster)
        if target is None:
            return self.fallback(call)
        path = f"/{call.service}/{call.method}"
        metadata = [(k.lower(), v) for k, v in call.metadata.items() if not k.startswith(":")]
        timeout = self.timeout_s
        with grpc.insecure_channel(target) as channel:
            try:
                if call.stream:
                    responses = channel.stream_stream(path)(
                        iter(call.messages), metadata=metadata, timeout=timeout
                    )
                    messages = tuple(responses)
                    return GrpcReply(0, messages, initial_metadata=_pairs(responses.initial_metadata()),
                                     trailing_metadata=_pairs(responses.trailing_metadata()))  # fmt: skip
                reply, rpc = channel.unary_unary(path).with_call(
                    call.messages[0] if call.messages else b"", metadata=metadata, timeout=timeout
                )
                return GrpcReply(0, (reply,), initial_metadata=_pairs(rpc.initial_metadata()),
                                 trailing_metadata=_pairs(rpc.trailing_metadata()))  # fmt: skip
            except grpc.RpcError as error:
                code = error.code() if hasattr(error, "code") else None
                status = code.value[0] if code is not None else UNAVAILABLE
                return GrpcReply(status, message=(error.details() if hasattr(error, "details") else "") or "")


def _pairs(metadata) -> list[tuple[str, str]]:
    return [(k, v if isinstance(v, str) else v.decode("latin-1")) for k, v in (metadata or ())]
