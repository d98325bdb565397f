"""The in-process host against a real Envoy: the same modules, the same requests, the same verdicts.

- Load: the host refuses exactly the modules Envoy refuses (every corpus, example and test module).
- Traffic: for each module both accept, the same requests give the same response (status, headers,
  body) and the same request at a real upstream (method, path, x- headers, body), with the headers the
  proxy's clock and codec add left out.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from pytest_wasmhub.envoy import ClusterSpec, EnvoySpec, ProcessRunner, probe_load, resolve_envoy_binary
from pytest_wasmhub.host import HostError, ProxyWasmHost, Response, UpstreamRequest
from pytest_wasmhub.module import compile_wat, load_module
from pytest_wasmhub.upstream import Upstream

ROOT = Path(__file__).resolve().parents[2]
MODULE_DIRS = (ROOT / "tests" / "corpus", ROOT / "examples", ROOT / "tests" / "host" / "modules")
NEVER_THROUGH_ENVOY = {"busy_loop"}  # wedges Envoy's worker for good
# set by the proxy's clock, codec or router, or random: not the module's doing
PROXY_RESPONSE_HEADERS = {"date", "server", "x-envoy-upstream-service-time", "connection"}
PROXY_REQUEST_HEADERS = {"x-request-id", "x-envoy-expected-rq-timeout-ms", "x-forwarded-proto"}


def all_modules() -> list[Path]:
    return sorted(p for d in MODULE_DIRS for p in d.glob("*.wat"))


def host_verdict(path: Path) -> str:
    try:
        ProxyWasmHost(path).start().close()
    except HostError as exc:
        return f"refused: {exc}"
    return "loaded"


def test_the_host_refuses_exactly_what_envoy_refuses(tmp_path):
    modules = all_modules()
    assert len(modules) > 40

    def envoy_verdict(source: Path) -> str:
        wasm = tmp_path / f"{source.parent.name}-{source.stem}.wasm"
        wasm.write_bytes(compile_wat(source))
        result = probe_load(wasm, workdir=tmp_path)
        return "loaded" if result.loaded else f"refused: {result.reason}"

    with ThreadPoolExecutor(4) as pool:
        envoy = list(pool.map(envoy_verdict, modules))
    mismatches = [
        f"{source.name}: Envoy {e!r}, host {h!r}"
        for source, e, h in zip(modules, envoy, map(host_verdict, modules), strict=True)
        if e.startswith("loaded") != h.startswith("loaded")
    ]
    assert not mismatches, "\n".join(mismatches)


# traffic ------------------------------------------------------------------------------------------------
def werkzeug_reply(body: bytes) -> Response:
    """What the suite's upstream (werkzeug) answers: 200, echoing the body it read."""
    return Response(
        200, [("server", "Werkzeug"), ("date", "-"), ("content-type", "text/plain; charset=utf-8"),
              ("content-length", str(len(body))), ("x-envoy-upstream-service-time", "0")], body,
    )  # fmt: skip


def received(request: UpstreamRequest) -> bytes:
    """The body an HTTP/1 upstream reads: ``content-length`` bytes when the header is there."""
    length = request.headers.get("content-length")
    return request.body[: int(length)] if length and length.isdigit() else request.body


REQUESTS = {
    "plain": [
        ("GET", "/diff/get", {}, b""),
        ("POST", "/diff/post?q=1", {"content-type": "text/plain"}, b"hello"),
    ],
    "behaviours": [
        ("GET", "/diff/default", {"x-test": ""}, b""),
        ("POST", "/diff/local", {"x-test": "l"}, b"abcd"),
        ("POST", "/diff/body", {"x-test": "b"}, b"abcd"),
        ("GET", "/diff/response-reply", {"x-test": "r"}, b""),
        ("GET", "/diff/property", {"x-test": "g"}, b""),
        ("GET", "/diff/callout", {"x-test": "c"}, b""),
        ("GET", "/diff/trap", {"x-test": "x"}, b""),
        ("GET", "/diff/after-trap", {}, b""),
    ],
}
TRAFFIC_MODULES = [
    ("examples/add_header.wat", "plain", ""),
    ("tests/corpus/good-http-0.1.0.wat", "plain", ""),
    ("tests/corpus/good-http-0.2.1.wat", "plain", ""),
    ("tests/host/modules/add_header_0_1_0.wat", "plain", "config-a"),
    ("tests/host/modules/add_header_0_2_1.wat", "plain", "config-b"),
    ("tests/host/modules/bad_action.wat", "plain", ""),
    ("tests/host/modules/crash_on_status.wat", "plain", ""),
    ("tests/host/modules/trap_on_header.wat", "plain", ""),
    ("tests/host/modules/behaviours.wat", "behaviours", ""),
]


def response_view(status: int, headers: list[tuple[str, str]], body: bytes) -> tuple:
    kept = sorted((k.lower(), v) for k, v in headers if k.lower() not in PROXY_RESPONSE_HEADERS)
    return status, kept, body


def upstream_view(method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> tuple:
    kept = sorted(
        (k.lower(), v)
        for k, v in headers
        if k.lower().startswith("x-") and k.lower() not in PROXY_REQUEST_HEADERS
    )
    return method, path, kept, body


def through_envoy(module: Path, configuration: str, requests, workdir: Path) -> list[tuple]:
    views = []
    with Upstream() as upstream:
        spec = EnvoySpec.for_module(
            module, configuration=configuration, upstream=upstream.address,
            extra_clusters=(ClusterSpec("auth", *upstream.address),),
        )  # fmt: skip
        envoy = ProcessRunner(resolve_envoy_binary(None)).start(spec, workdir)
        try:
            with httpx.Client(base_url=envoy.url, timeout=10) as client:
                for method, path, headers, body in requests:
                    upstream.clear()
                    reply = client.request(method, path, headers=headers, content=body)
                    seen = [r for r in upstream.requests if r.path != "/check"]
                    sent = [
                        upstream_view(r.method, f"{r.path}?{r.query}".rstrip("?"), list(r.headers), r.body)
                        for r in seen
                    ]
                    views.append(
                        (response_view(reply.status_code, list(reply.headers.items()), reply.content), sent)
                    )
        finally:
            envoy.stop()
    return views


def through_host(module: Path, configuration: str, requests) -> list[tuple]:
    callout = lambda call: werkzeug_reply(b"")  # noqa: E731  (the upstream echoes the empty GET body)
    host = ProxyWasmHost(
        module, plugin_configuration=configuration, clusters=["upstream", "auth"], http_call_handler=callout
    )
    views = []
    with host:
        for method, path, headers, body in requests:
            client_headers = {
                "accept": "*/*",
                "accept-encoding": "gzip, deflate",
                "user-agent": "python-httpx",
                **headers,
            }
            result = host.http_request(
                method,
                path,
                client_headers,
                body,
                authority="127.0.0.1",
                upstream=lambda r: werkzeug_reply(received(r)),
            )
            sent = []
            if result.upstream_request is not None:
                request = result.upstream_request
                sent.append(
                    upstream_view(request.method, request.path, request.headers.items(), received(request))
                )
            response = result.response
            assert response is not None, result.describe()
            views.append((response_view(response.status, response.headers.items(), response.body), sent))
    return views


@pytest.mark.parametrize(
    ("module", "traffic", "configuration"), TRAFFIC_MODULES, ids=lambda v: Path(str(v)).stem
)
def test_same_requests_same_results(tmp_path, module, traffic, configuration):
    loaded = load_module(ROOT / module, tmp_path)
    requests = REQUESTS[traffic]
    envoy_views = through_envoy(loaded.path, configuration, requests, tmp_path)
    host_views = through_host(ROOT / module, configuration, requests)
    for request, envoy_view, host_view in zip(requests, envoy_views, host_views, strict=True):
        assert host_view == envoy_view, f"{request[0]} {request[1]} {request[2]}"
