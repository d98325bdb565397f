"""The recording upstream as a real HTTP/1.1 server: it keeps a connection open across requests, reads
bodies by Content-Length or chunked, and records each request as it arrived; a body that disagrees
with its Content-Length never leaks into the next request."""

from __future__ import annotations

import socket

import pytest

from pytest_wasmhub.upstream import Upstream


@pytest.fixture
def upstream():
    with Upstream() as server:
        yield server


def _connect(upstream: Upstream) -> socket.socket:
    sock = socket.create_connection(upstream.address, timeout=5)
    return sock


def _response(sock: socket.socket, head: bool = False) -> tuple[bytes, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the upstream closed before answering: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = 0 if head else int(headers.get("content-length", "0"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return status.encode(), headers, rest


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(2)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_one_connection_serves_requests_one_after_another(upstream):
    with _connect(upstream) as sock:
        for n in range(3):
            sock.sendall(f"GET /k/{n}?q=%41 HTTP/1.1\r\nHost: u\r\nX-Dup: a\r\nx-dup: b\r\n\r\n".encode())
            status, headers, body = _response(sock)
            assert status == b"HTTP/1.1 200 OK" and body == b"" and "connection" not in headers
    assert [r.path for r in upstream.requests] == ["/k/0", "/k/1", "/k/2"]
    last = upstream.last_request
    assert last.query == "q=%41" and last.header("x-dup") == "a,b" and ("X-Dup", "a,b") in last.headers


def test_bodies_are_read_as_framed_and_echoed(upstream):
    with _connect(upstream) as sock:
        sock.sendall(
            b"POST /c HTTP/1.1\r\nHost: u\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n"
        )
        assert _response(sock)[2] == b"abcde"
        sock.sendall(b"POST /l HTTP/1.1\r\nHost: u\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"wxyzEXTRA")  # five bytes more than announced
        _, headers, body = _response(sock)
        assert body == b"wxyz" and headers.get("connection") == "close"
        assert _closed(sock), "the bytes past Content-Length must not be read as a request"
    assert [(r.method, r.body) for r in upstream.requests] == [("POST", b"abcde"), ("POST", b"wxyz")]


def test_replies_as_told_and_refuses_what_is_no_request(upstream):
    upstream.respond_with(status=418, headers={"x-r": "1"}, body="tea")
    with _connect(upstream) as sock:
        sock.sendall(b"HEAD /h HTTP/1.1\r\nHost: u\r\n\r\n")
        status, headers, body = _response(sock, head=True)
        assert status == b"HTTP/1.1 418 I'm a Teapot" and headers["x-r"] == "1" and body == b""
        assert headers["content-length"] == "3"  # what a GET would get, without it
        assert headers["content-type"] == "text/plain; charset=utf-8"
        sock.sendall(b"garbage\r\n\r\n")
        assert _response(sock)[0] == b"HTTP/1.1 400 Bad Request"
        assert _closed(sock)
    upstream.clear()
    with _connect(upstream) as sock:
        sock.sendall(b"GET /%2e%2E/x%20y HTTP/1.0\r\n\r\n")
        _response(sock)
        assert _closed(sock), "an HTTP/1.0 request ends its connection"
    assert upstream.last_request.path == "/../x y"


def test_stop_ends_open_connections(tmp_path):
    server = Upstream(unix_socket=str(tmp_path / "u.sock")).start()
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(str(tmp_path / "u.sock"))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: u\r\n\r\n")
    assert _response(sock)[0] == b"HTTP/1.1 200 OK"
    server.stop()
    assert _closed(sock) and not (tmp_path / "u.sock").exists()
    sock.close()


def test_a_reply_it_cannot_send_is_a_500_not_a_silent_close(upstream):
    upstream.respond_with(body=12345)  # neither bytes nor text
    with _connect(upstream) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: u\r\n\r\n")
        status, _, body = _response(sock)
    assert status == b"HTTP/1.1 500 Internal Server Error" and b"bytes or text" in body
