"""The Rust SDK test modules behave as their sources say, in a real Envoy (what other tests rely on)."""

from __future__ import annotations

import re

PANIC_LOG = re.compile(
    r"\[critical\]\[wasm\] .* wasm log .*: panicked at panic_on_header/src/lib\.rs:\d+:\d+:\n"
    r"called `Result::unwrap\(\)` on an `Err` value: x-user is not a number\n"
)


def test_panic_on_header_panics_only_on_x_panic(rust_test_module, envoy_factory, upstream):
    envoy = envoy_factory(rust_test_module("panic_on_header"))
    passed = envoy.http.get("/calm")
    assert (passed.status_code, passed.headers["x-panic-on-header"]) == (200, "passed")
    assert envoy.http.get("/boom", headers={"x-panic": "1", "x-user": "bob"}).status_code == 503
    logs = envoy.logs()
    assert PANIC_LOG.search(logs), logs[-3000:]
    assert "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable" in logs
    assert [r.path for r in upstream.requests] == ["/calm"]


def test_log_error_body_logs_each_body_at_error_level(rust_test_module, envoy_factory, upstream):
    envoy = envoy_factory(rust_test_module("log_error_body"))
    response = envoy.http.post("/orders", content=b'{"id": 7}')
    assert (response.status_code, response.content) == (200, b'{"id": 7}')  # the upstream echoes
    assert upstream.last_request.body == b'{"id": 7}'
    line = re.search(
        r"\[error\]\[wasm\] .*request body chunk of 9 bytes \(end_of_stream=\w+\): (.*)", envoy.logs()
    )
    assert line is not None and line.group(1) == '{"id": 7}', envoy.logs()[-3000:]
    assert "failed: Uncaught" not in envoy.logs()
