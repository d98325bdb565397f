"""The differential self-test: every probe, corpus module, example and test module that both Envoy and the
in-process host start gets the same scripted traffic in each; per request the status, headers, body, the
requests that reached the upstream (callouts included) and whether the proxy answered at all must
agree. Every disagreement is listed with both answers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from pytest_wasmhub.envoy import ClusterSpec, EnvoySpec, ProcessRunner, resolve_envoy_binary
from pytest_wasmhub.host import HostError, ProxyCrashError, ProxyWasmHost, Response
from pytest_wasmhub.host.grpc_upstream import http_upstream_answer
from pytest_wasmhub.module import load_module
from pytest_wasmhub.upstream import Upstream

ROOT = Path(__file__).resolve().parents[2]
MODULE_DIRS = ("tests/corpus", "examples", "tests/host/modules", "conformance/probes")
# wedge Envoy's worker for good: no answer can be compared
NEVER_THROUGH_ENVOY = {"busy_loop", "loop_on_request"}
CLUSTERS = ("auth", "grpc_backend")  # what the modules call out to, all leading to the upstream
PAUSE_MS = 200  # scripted time before the first request: the root's timers run, in both proxies
ANSWER_TIMEOUT_S = 2.0
NO_ANSWER = "no answer"
CRASHED = "the proxy crashed"
TRAFFIC = (
    ("GET", "/diff/get", {}, b""),
    ("POST", "/diff/post?q=1", {"content-type": "text/plain"}, b"hello"),
    ("HEAD", "/diff/head", {}, b""),
)
PROXY_RESPONSE_HEADERS = {"date", "server", "x-envoy-upstream-service-time", "connection"}
PROXY_REQUEST_HEADERS = {"x-request-id", "x-envoy-expected-rq-timeout-ms", "x-forwarded-proto"}
CLIENT_HEADERS = {"accept": "*/*", "accept-encoding": "gzip, deflate", "user-agent": "python-httpx"}


def modules() -> list[Path]:
    return sorted(
        p for d in MODULE_DIRS for p in (ROOT / d).glob("*.wat") if p.stem not in NEVER_THROUGH_ENVOY
    )


def response_view(status: int, headers, body: bytes) -> tuple:
    kept = sorted((k.lower(), v) for k, v in headers if k.lower() not in PROXY_RESPONSE_HEADERS)
    return status, kept, body


def upstream_view(method: str, path: str, headers, body: bytes) -> tuple:
    """The request as the upstream (werkzeug) reads it: a repeated header is one, values joined by ","."""
    merged: dict[str, list[str]] = {}
    for k, v in headers:
        if k.lower().startswith("x-") and k.lower() not in PROXY_REQUEST_HEADERS:
            merged.setdefault(k.lower(), []).append(v)
    return method, path, sorted((k, ",".join(v)) for k, v in merged.items()), body


def werkzeug_reply(body: bytes) -> Response:
    return Response(
        200, [("content-type", "text/plain; charset=utf-8"), ("content-length", str(len(body)))], body
    )


def through_envoy(module: Path, workdir: Path) -> list[tuple] | str:
    """Per request (response view, upstream views), NO_ANSWER or CRASHED; or why Envoy did not start."""
    views: list[tuple] = []
    with Upstream() as upstream:
        spec = EnvoySpec.for_module(
            module,
            upstream=upstream.address,
            extra_clusters=tuple(ClusterSpec(c, *upstream.address) for c in CLUSTERS),
        )
        try:
            envoy = ProcessRunner(resolve_envoy_binary(None)).start(spec, workdir)
        except Exception as exc:
            return f"not started: {exc}"
        try:
            time.sleep(PAUSE_MS / 1000)
            with httpx.Client(base_url=envoy.url, timeout=ANSWER_TIMEOUT_S) as client:
                for method, path, headers, body in TRAFFIC:
                    upstream.clear()
                    try:
                        reply = client.request(method, path, headers=headers, content=body)
                    except httpx.TimeoutException:
                        views.append((NO_ANSWER, ()))
                        continue
                    except httpx.TransportError:
                        envoy.wait_exit(1.0)  # a crashing proxy drops the connection while it dies
                        views.append((CRASHED if not envoy.is_alive() else NO_ANSWER, ()))
                        continue
                    sent = tuple(
                        upstream_view(r.method, f"{r.path}?{r.query}".rstrip("?"), r.headers, r.body)
                        for r in upstream.requests
                    )
                    views.append(
                        (response_view(reply.status_code, reply.headers.items(), reply.content), sent)
                    )
        finally:
            envoy.stop()
    return views


def through_host(module: Path) -> list[tuple] | str:
    callouts: list[tuple] = []

    def callout(call) -> Response:
        path = call.headers.get(":path") or ""
        callouts.append(
            upstream_view(call.headers.get(":method") or "", path, call.headers.items(), call.body)
        )
        return werkzeug_reply(call.body)

    def grpc_callout(call):
        headers = [("x-envoy-internal", "true"), *call.metadata.items()]  # as Envoy's gRPC client sends it
        callouts.append(upstream_view("POST", call.path, headers, call.body))
        return http_upstream_answer(call)

    try:
        host = ProxyWasmHost(
            module,
            clusters=["upstream", *CLUSTERS],
            http_call_handler=callout,
            grpc_call_handler=grpc_callout,
        ).start()
    except HostError as exc:
        return f"not started: {exc}"
    views: list[tuple] = []
    crashed = False
    with host:
        host.advance_time(PAUSE_MS)
        for method, path, headers, body in TRAFFIC:
            if crashed:
                views.append((CRASHED, ()))
                continue
            callouts.clear()
            try:
                result = host.http_request(
                    method, path, {**CLIENT_HEADERS, **headers}, body, authority="127.0.0.1",
                    upstream=lambda r: werkzeug_reply(b"" if r.method == "HEAD" else r.body),
                )  # fmt: skip
            except ProxyCrashError:
                crashed = True
                views.append((CRASHED, ()))
                continue
            sent = list(callouts)
            if result.upstream_request is not None:
                r = result.upstream_request
                sent.append(upstream_view(r.method, r.path, r.headers.items(), r.body))
            if result.response is None:
                views.append((NO_ANSWER, ()))
                continue
            response = result.response
            views.append(
                (response_view(response.status, response.headers.items(), response.body), tuple(sent))
            )
    return views


def disagreements(module: Path, workdir: Path) -> list[str]:
    host = through_host(module)
    if isinstance(host, str):
        return []  # the host refuses it at start: held to Envoy by the load differential
    loaded = load_module(module, workdir)
    envoy = through_envoy(loaded.path, workdir)
    if isinstance(envoy, str):
        return [f"{module.relative_to(ROOT)}: Envoy {envoy}; the host started it"]
    return [
        f"{module.relative_to(ROOT)} {method} {path}:\n    Envoy {e}\n    host  {h}"
        for (method, path, _, _), e, h in zip(TRAFFIC, envoy, host, strict=True)
        if e != h
    ]


def test_host_and_envoy_agree_on_every_module(tmp_path):
    every = modules()
    assert len(every) > 60

    def run(module: Path) -> list[str]:
        workdir = tmp_path / f"{module.parent.name}-{module.stem}"
        workdir.mkdir()
        return disagreements(module, workdir)

    with ThreadPoolExecutor(2) as pool:
        found = [line for lines in pool.map(run, every) for line in lines]
    assert not found, f"{len(found)} disagreement(s):\n" + "\n".join(found)
