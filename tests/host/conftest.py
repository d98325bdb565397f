"""Fixtures for the in-process host's own tests: the small modules in ``modules/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

MODULES = Path(__file__).resolve().parent / "modules"


@pytest.fixture
def host_module() -> Callable[[str], Path]:
    """``host_module("behaviours")`` -> the path of ``modules/behaviours.wat``."""

    def find(name: str) -> Path:
        path = MODULES / f"{name}.wat"
        assert path.exists(), f"no test module {path}"
        return path

    return find


@pytest.fixture
def behaviours(host_module: Callable[[str], Path]) -> Path:
    return host_module("behaviours")


@pytest.fixture
def grpc_upstream():
    """A real gRPC server on loopback (grpcio): ``svc.Echo/Say`` answers ``pong:`` + the request,
    ``svc.Echo/Fail`` fails with PERMISSION_DENIED, ``svc.Echo/Chat`` answers each message of a stream.
    Yields its "HOST:PORT"."""
    from concurrent.futures import ThreadPoolExecutor

    import grpc

    def fail(request, context):
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "not you")

    handlers = {
        "Say": grpc.unary_unary_rpc_method_handler(lambda request, context: b"pong:" + request),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
        "Chat": grpc.stream_stream_rpc_method_handler(
            lambda requests, context: (b"re:" + r for r in requests)
        ),
    }
    executor = ThreadPoolExecutor(2)
    server = grpc.server(executor)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("svc.Echo", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None).wait()
        executor.shutdown(wait=True)
