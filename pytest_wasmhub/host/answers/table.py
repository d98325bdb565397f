"""Envoy's answers as data: per host call, argument class, ABI version and callback phase, the statuses
real Envoy returned to the answers probe (``probe.py``), with the releases each answer holds for.

The file ``pytest_wasmhub/host/data/envoy-answers.json`` is written by
``python -m pytest_wasmhub.host.answers.table ENVOY_BINARY...`` and re-measured by the host's tests.

An argument class is what the call's arguments decide (the map type, a known or unknown cluster); a
variant is what the environment decides (the key is there or not, the CAS is stale or not). The status
sweep may inject, for a call, any status Envoy answered for its class in that phase under any variant.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from ...abi import ABI_VERSIONS
from .measure import NOT_RUN, Measurement

TABLE_FILE = "envoy-answers.json"

# The measured phase standing for each callback: the start-up callbacks of the root are measured in
# proxy_on_configure, the root's later callbacks in proxy_on_http_call_response; a callback not
# listed (trailers, proxy_on_done, a stream's own callout answer...) has no measured answers.
PHASE_OF_CALLBACK = {
    "proxy_on_vm_start": "configure",
    "proxy_on_configure": "configure",
    "proxy_on_tick": "http_call_response",
    "proxy_on_queue_ready": "http_call_response",
    "proxy_on_foreign_function": "http_call_response",
    "proxy_on_request_headers": "request_headers",
    "proxy_on_request_body": "request_body",
    "proxy_on_response_headers": "response_headers",
    "proxy_on_response_body": "response_body",
    "proxy_on_log": "log",
}
ROOT_ONLY_CALLBACKS = ("proxy_on_http_call_response", "proxy_on_grpc_receive", "proxy_on_grpc_close")


@dataclass(frozen=True)
class Answer:
    function: str
    argument_class: str
    variant: str
    phase: str
    abi_version: str
    status: str
    envoy: tuple[str, ...]  # the releases that answered this


class EnvoyAnswers:
    """The table, with lookups by situation."""

    def __init__(self, answers: Iterable[Answer], envoy_versions: Iterable[str]) -> None:
        self.answers = tuple(answers)
        self.envoy_versions = tuple(envoy_versions)
        self._possible: dict[tuple[str, str, str, str], set[str]] = {}
        for a in self.answers:
            self._possible.setdefault((a.function, a.argument_class, a.abi_version, a.phase), set()).add(
                a.status
            )

    def possible(
        self, function: str, argument_class: str, abi_version: str, phase: str
    ) -> frozenset[str] | None:
        """What Envoy can answer for this call in this situation; None when it was not measured."""
        found = self._possible.get((function, argument_class, abi_version, phase))
        return None if found is None else frozenset(found)

    def functions(self) -> set[str]:
        return {a.function for a in self.answers}

    def statuses_of(self, function: str, abi_version: str) -> set[str]:
        """Every status Envoy answered this function in any measured situation."""
        return {a.status for a in self.answers if a.function == function and a.abi_version == abi_version}

    def expected(self, abi_version: str, envoy_version: str) -> dict[tuple[str, str, str, str], str]:
        """What the probe must read on this release: ``{(function, class, variant, phase): status}``."""
        return {
            (a.function, a.argument_class, a.variant, a.phase): a.status
            for a in self.answers
            if a.abi_version == abi_version and envoy_version in a.envoy
        }


def phase_of(callback: str | None, in_root: bool) -> str | None:
    if callback in ROOT_ONLY_CALLBACKS:
        return "http_call_response" if in_root else None
    return PHASE_OF_CALLBACK.get(callback or "")


def build(measurements: Mapping[tuple[str, str], Measurement]) -> dict:
    """``{(envoy version, ABI version): measurement}`` -> the file's content."""
    merged: dict[tuple[str, str, str, str, str, str], list[str]] = {}
    for (envoy, abi), measurement in sorted(measurements.items()):
        for (function, klass, variant, phase), status in measurement.items():
            if status != NOT_RUN:
                merged.setdefault((function, klass, variant, phase, abi, status), []).append(envoy)
    return {
        "about": "Statuses real Envoy returned to the answers probe (pytest_wasmhub/host/answers/probe.py), "
        "per host call, argument class, variant, callback phase and ABI version. Regenerate with "
        "python -m pytest_wasmhub.host.answers.table ENVOY_BINARY...",
        "envoy_versions": sorted({envoy for envoy, _ in measurements}),
        "answers": [
            {
                "function": f,
                "argument_class": c,
                "variant": v,
                "phase": p,
                "abi_version": a,
                "status": s,
                "envoy": sorted(set(e)),
            }
            for (f, c, v, p, a, s), e in merged.items()
        ],
    }


@cache
def envoy_answers() -> EnvoyAnswers:
    """The table shipped with the package."""
    text = resources.files("pytest_wasmhub.host").joinpath("data", TABLE_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    answers = (
        Answer(
            a["function"],
            a["argument_class"],
            a["variant"],
            a["phase"],
            a["abi_version"],
            a["status"],
            tuple(a["envoy"]),
        )
        for a in data["answers"]
    )
    return EnvoyAnswers(answers, data["envoy_versions"])


def _main(binaries: list[str]) -> int:
    import tempfile

    from ...envoy import envoy_version
    from .measure import measure_envoy

    measurements = {}
    for binary in binaries:
        release = envoy_version(Path(binary))
        for abi in ABI_VERSIONS:
            with tempfile.TemporaryDirectory() as workdir:
                measurements[(release, abi)] = measure_envoy(abi, Path(workdir), binary)
            print(f"measured Envoy {release}, ABI {abi}", file=sys.stderr)
    target = Path(__file__).resolve().parents[1] / "data" / TABLE_FILE
    target.write_text(json.dumps(build(measurements), indent=1) + "\n")
    print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
