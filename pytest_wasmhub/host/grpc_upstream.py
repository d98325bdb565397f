"""Answers for the module's gRPC calls: a real gRPC server (``GrpcForwarder``, with ``grpcio``), or what
Envoy answers when the cluster is the suite's plain HTTP/1 upstream, which echoes the request body
(measured on 1.40: a call ends in ``proxy_on_grpc_close`` with status 2, UNKNOWN; a stream first gets
back each message it sent, Envoy decoding the echoed frames, then the same close)."""

from __future__ import annotations

from collections.abc import Mapping

from .grpc import GrpcCall, GrpcReply

UNKNOWN = 2  # what a non-gRPC answer to a gRPC call becomes
UNAVAILABLE = 14


def http_upstream_answer(call: GrpcCall) -> GrpcReply:
    """What a gRPC call to an HTTP/1 upstream that echoes with 200 (not gRPC) gets from Envoy."""
    return GrpcReply(UNKNOWN, tuple(call.messages) if call.stream else ())


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
