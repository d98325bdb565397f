"""Run the answers probe (``probe.py``) in a real Envoy or in the in-process host and read back the status
each host call got: ``{(function, argument class, variant, phase): status}``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path

from ..codes import Status
from .probe import HEADER_PHASES, LOG_PHASES, PHASES, Probe, measured_probes, probe_wat

Key = tuple[str, str, str, str]  # function, argument class, variant, phase
Measurement = dict[Key, str]  # status name, or "not run"

NOT_RUN = "not run"
_LOG_LINE = re.compile(r"x-answers-([a-z_]+)=([0-9a-fz-]*)")
_WAIT_SECONDS = 10.0
REQUEST_PATH = "/answers"
REQUEST_BODY = b"answers"


def write_probe(abi_version: str, directory: Path) -> Path:
    path = Path(directory) / f"answers-probe-{abi_version}.wat"
    path.write_text(probe_wat(abi_version))
    return path


def _decode(char: str) -> str:
    if char == "-":
        return NOT_RUN
    if char == "z":
        return "beyond 15"
    value = int(char, 16)
    try:
        return Status(value).name
    except ValueError:
        return str(value)


def decode(abi_version: str, reports: dict[str, str]) -> Measurement:
    """``reports``: phase -> the report string the probe gave for it."""
    out: Measurement = {}
    for phase in PHASES:
        text = reports.get(phase, "")
        for index, probe in enumerate(measured_probes(abi_version, phase)):
            char = text[index] if index < len(text) else "-"
            out[key_of(probe, phase)] = _decode(char)
    return out


def key_of(probe: Probe, phase: str) -> Key:
    return (probe.function, probe.argument_class, probe.variant, phase)


def _reports_from(headers: Iterable[tuple[str, str]], log_text: str) -> dict[str, str]:
    reports = {}
    for name, value in headers:
        if name.lower().startswith("x-answers-"):
            reports[name.lower()[len("x-answers-") :]] = value
    for phase, value in _LOG_LINE.findall(log_text):
        if phase in LOG_PHASES:
            reports[phase] = value
    return reports


def measure_envoy(abi_version: str, workdir: Path, binary: Path | str | None = None) -> Measurement:
    """Start a real Envoy with the probe (a configured ``upstream`` cluster), send one POST, read back."""
    import httpx

    from ...envoy import EnvoySpec, ProcessRunner, resolve_envoy_binary
    from ...upstream import Upstream

    module = write_probe(abi_version, workdir)
    from ...module import load_module

    wasm = load_module(module, workdir).path
    with Upstream() as upstream:
        spec = EnvoySpec.for_module(wasm, upstream=upstream.address)
        envoy = ProcessRunner(resolve_envoy_binary(binary)).start(spec, workdir)
        try:
            _wait(lambda: any(r.path == REQUEST_PATH for r in upstream.requests))  # the root's callout
            _wait(lambda: False, 0.3)  # and its answer reaching the root context
            with httpx.Client(base_url=envoy.url, timeout=10) as client:
                reply = client.post(REQUEST_PATH, content=REQUEST_BODY)
            _wait(lambda: "x-answers-log=" in envoy.logs())
            reports = _reports_from(reply.headers.items(), envoy.logs())
        finally:
            envoy.stop()
    return decode(abi_version, reports)


def measure_host(abi_version: str, workdir: Path, **options) -> Measurement:
    """The same probe, the same request, in the in-process host (a configured ``upstream`` cluster)."""
    from ..host import ProxyWasmHost
    from ..messages import Response

    module = write_probe(abi_version, workdir)
    settings = {
        "clusters": ["upstream"],
        "http_call_handler": lambda call: Response(200, {"content-type": "text/plain"}, b""),
        "upstream": lambda request: Response(200, {"content-type": "text/plain"}, request.body),
        **options,
    }
    with ProxyWasmHost(module, **settings) as host:
        result = host.http_request("POST", REQUEST_PATH, body=REQUEST_BODY)
        response = result.response
        headers = response.headers.items() if response is not None else []
        log_text = "\n".join(record.message for record in host.logs)
    return decode(abi_version, _reports_from(headers, log_text))


def _wait(done, seconds: float = _WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


__all__ = ["HEADER_PHASES", "NOT_RUN", "Measurement", "decode", "measure_envoy", "measure_host"]
