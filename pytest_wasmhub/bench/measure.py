"""Measure what a module costs Envoy: the same Envoy, with and without it, under the same load.

Two Envoys run on loopback:

- the *proxy* (``envoy-configs/bench.yaml``): two listeners identical but for the Wasm filter, so
  one process, one configuration, one upstream cluster and its connections serve both sides;
- the *origin* it routes to (``envoy-configs/bench-origin.yaml``): an Envoy answering every request
  itself with a ``direct_response``. The project's recording ``Upstream`` (Python) cannot be the
  origin: it answers a few thousand req/s at most (werkzeug's server, before it: ~900), not clearly above
  the ~5,000 req/s one proxy worker passes here (measured), so it would cap both sides alike and hide
  the module's cost. A ``direct_response`` on the proxy itself
  would drop the upstream hop the module's users always have, and would answer before a request body
  arrives. The origin reads each body whole (buffer filter), like a real backend.

The proxy runs one worker by default, and the load generator keeps it busy: the worker is the
bottleneck, so its time per request (workers / throughput) rises by exactly what the module costs.

Runs interleave: each round runs both sides back to back, alternating which goes first, so drift in
the machine's load meets both alike; the first rounds warm up (V8, connections, caches) and are dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..envoy import EnvoySpec, EnvoyStartError, ProcessRunner, resolve_envoy_binary
from ..envoy.handle import EnvoyHandle
from ..module import WasmModule
from .loadgen import PROTOCOL_NAMES, LoadRun, LoadSpec, find_h2load, run_load
from .options import BenchOptions
from .results import BenchResult, ProtocolResult, SideSummary

PROXY_TEMPLATE = "bench.yaml"
ORIGIN_TEMPLATE = "bench-origin.yaml"
# the PluginSpec fields envoy-configs/bench.yaml renders
PLUGIN_SETTINGS = frozenset(
    {"configuration", "vm_configuration", "root_id", "vm_id", "runtime", "environment", "failure_policy"}
)

Progress = Callable[[str], None]


class BenchError(RuntimeError):
    """The benchmark could not measure: Envoy refused the module, or no request got through."""


def measure(
    module: WasmModule,
    options: BenchOptions,
    *,
    workdir: Path,
    envoy_binary: str | Path | None = None,
    h2load: str | Path | None = None,
    plugin: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> BenchResult:
    """Benchmark ``module`` in Envoy; ``plugin`` holds its settings (configuration, root_id, ...)."""
    plugin = dict(plugin or {})
    unknown = set(plugin) - PLUGIN_SETTINGS
    if unknown:
        raise TypeError(f"unknown plugin settings: {', '.join(sorted(unknown))}")
    h2load_path = find_h2load(h2load)
    runner = ProcessRunner(resolve_envoy_binary(envoy_binary))
    workdir = Path(workdir)
    body = _body_file(workdir, options.body_size)
    with contextlib.ExitStack() as stack:
        origin = _start(runner, EnvoySpec(plugins=(), template=ORIGIN_TEMPLATE), workdir, "the origin")
        stack.callback(origin.stop)
        host, port = _address(origin.listeners["origin"])
        spec = EnvoySpec.for_module(
            module.path,
            template=PROXY_TEMPLATE,
            upstream=(host, port),
            concurrency=options.envoy_concurrency,
            **plugin,
        )
        proxy = _start(runner, spec, workdir, "the module")
        stack.callback(proxy.stop)
        results = tuple(
            _measure_protocol(proxy, protocol, options, h2load_path, workdir, body, progress)
            for protocol in options.protocols
        )
    return BenchResult(
        module=str(module.source),
        module_sha256=module.sha256,
        envoy_version=runner.version,
        options=options,
        protocols=results,
    )


def _start(runner: ProcessRunner, spec: EnvoySpec, workdir: Path, what: str) -> EnvoyHandle:
    try:
        return runner.start(spec, workdir)
    except EnvoyStartError as exc:
        raise BenchError(f"Envoy with {what} did not start: {exc.reason}") from None


def _address(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").rpartition(":")
    return host, int(port)


def _body_file(workdir: Path, size: int) -> Path | None:
    if not size:
        return None
    path = workdir / f"request-body-{size}.bin"
    path.write_bytes(b"x" * size)
    return path


def _measure_protocol(
    proxy: EnvoyHandle,
    protocol: str,
    options: BenchOptions,
    h2load: Path,
    workdir: Path,
    body: Path | None,
    progress: Progress | None,
) -> ProtocolResult:
    def spec(url: str) -> LoadSpec:
        return LoadSpec(
            url=url + "/",
            protocol=protocol,
            connections=options.connections,
            streams=options.streams_for(protocol),
            threads=options.threads,
            requests=options.requests,
            duration=options.run_duration,
            body=body,
            time_limit=options.time_limit,
        )

    kept: dict[bool, list[LoadRun]] = {True: [], False: []}
    total = options.warmup_rounds + options.rounds
    for number in range(total):
        # alternate which side goes first: neither always meets a cold or a warm machine
        order = (True, False) if number % 2 == 0 else (False, True)
        pair = {}
        for with_module in order:
            run = run_load(spec(proxy.url if with_module else proxy.passthrough_url), h2load, workdir)
            _check(run, proxy, with_module)
            pair[with_module] = run
        warmup = number < options.warmup_rounds
        if not warmup:
            kept[True].append(pair[True])
            kept[False].append(pair[False])
        if progress is not None:
            label = "warm-up" if warmup else f"round {number - options.warmup_rounds + 1}/{options.rounds}"
            with_rps, without_rps = pair[True].requests_per_second, pair[False].requests_per_second
            progress(
                f"{PROTOCOL_NAMES[protocol]} {label}: with module {with_rps:,.0f} req/s, "
                f"without {without_rps:,.0f} req/s"
            )
    return ProtocolResult(
        protocol=protocol,
        with_module=SideSummary(tuple(kept[True]), options.envoy_concurrency),
        without_module=SideSummary(tuple(kept[False]), options.envoy_concurrency),
    )


def _check(run: LoadRun, proxy: EnvoyHandle, with_module: bool) -> None:
    if not proxy.is_alive():
        raise BenchError(f"Envoy stopped during the benchmark ({proxy.exit_description()})")
    if run.succeeded == 0 or run.responses_logged == 0:
        side = "with" if with_module else "without"
        errors = proxy.wasm_errors()[-1:] if with_module else []
        raise BenchError(
            f"no request succeeded through the listener {side} the module "
            f"({run.failed} failed, status classes {run.status_classes})"
            + (f"; Envoy: {errors[0]}" if errors else "")
        )
