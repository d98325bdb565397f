"""Inspect a module without running it: every static ABI case, for one host profile, in one pass.

    inspection = inspect_bytes(data, host="envoy")
    inspection.findings          # every problem, each with its case id, level, effect and what to change
    inspection.refused_by_host   # the host will refuse to load it
    inspection.result("ABI-MEMORY-001").status   # "pass" | "fail" | "not_applicable"

``inspect_module`` caches by (sha256, host), so every case of the conformance suite shares one inspection.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..module import compile_wat, read_module_file
from ..paths import user_path
from .catalogue import CASES, CRASH, FAIL, NOT_APPLICABLE, PASS, REFUSED, Finding, NotApplicable
from .checks import CHECKS, reachable_memory, roles
from .facts import ModuleFacts, read_facts
from .hosts import DEFAULT_HOST, HostProfile, host_profile
from .model import ABI_VERSIONS, load_abi

if TYPE_CHECKING:
    from ..module import WasmModule

SCHEMA_ID = "wasmhub-inspection/1"
_CACHE_SIZE = 32
_cache: OrderedDict[tuple[str, str, str | None], Inspection] = OrderedDict()

CUSTOM_SECTION_NOTES = (
    (
        "precompiled_",
        "precompiled",
        "Code precompiled for one engine build; Envoy uses only a section made by its "
        "own V8 build (precompiled_wee8_...) and otherwise compiles the module itself.",
    ),
    (
        "signature_wasmsign",
        "signature",
        "WasmSign signature; only proxy-wasm hosts built with a verification key "
        "check it, and the Envoy binary has no such check.",
    ),
    ("signature", "signature", "Embedded module signature (wasmsign2); Envoy does not verify it."),
    ("producers", "producers", "Toolchain that built the module."),
    ("name", "names", "Function names: Envoy prints them in trap backtraces."),
    (".debug", "debug", "DWARF debug information: only size for a proxy; strip it for distribution."),
    ("target_features", "toolchain", "Toolchain metadata."),
)


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    status: str  # PASS | FAIL | NOT_APPLICABLE
    findings: tuple[Finding, ...] = ()
    reason: str = ""  # why the case does not apply

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "findings": len(self.findings)}


@dataclass(frozen=True)
class Inspection:
    name: str
    sha256: str
    host: HostProfile
    facts: ModuleFacts
    results: dict[str, CaseResult]  # by case id, in catalogue order
    seconds: float

    def result(self, case_id: str) -> CaseResult:
        if case_id not in self.results:
            raise KeyError(f"no static ABI case {case_id!r}")
        return self.results[case_id]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results.values() for f in r.findings]

    @property
    def failed_must(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "MUST"]

    @property
    def refused_by_host(self) -> bool:
        """The host will refuse to load the module (Envoy: exits at start-up)."""
        return any(f.effect == REFUSED for f in self.findings)

    @property
    def crashes_host(self) -> bool:
        """The host loads the module, and the proxy process then crashes."""
        return any(f.effect == CRASH for f in self.findings)

    @property
    def verdict(self) -> str:
        if self.refused_by_host:
            return "refused"
        if self.crashes_host:
            return "crashes"
        return "loads"

    @property
    def abi_version(self) -> str | None:
        return self.facts.abi_version

    @property
    def roles(self) -> list[str]:
        return roles(self.facts) if self.facts.parsed else []

    @property
    def features(self) -> list[str]:
        """Host features the module touches through its imports and callbacks (e.g. "http_callouts")."""
        versions = (self.abi_version,) if self.abi_version else ABI_VERSIONS
        table: dict[str, str] = {}
        for version in versions:
            table.update(load_abi(version).features)
        used = {table[imp.name] for imp in self.facts.imports if imp.name in table}
        used |= {table[name] for name in self.facts.functions if name in table}
        return sorted(used - {"start-up", "memory", "context", "configuration", "http", "network"})

    def custom_sections(self) -> list[dict[str, Any]]:
        binary = self.facts.binary
        out = []
        for name, size in binary.custom_sections if binary else []:
            kind, note = next(
                ((k, n) for prefix, k, n in CUSTOM_SECTION_NOTES if name.startswith(prefix)), ("other", "")
            )
            out.append({"name": name, "size": size, "kind": kind, "note": note})
        return out

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (schema: ``abi/schema/inspection.schema.json``)."""
        facts, binary = self.facts, self.facts.binary
        memory = facts.memory
        return {
            "schema": SCHEMA_ID,
            "module": {"name": self.name, "size": facts.size, "sha256": self.sha256},
            "host": {
                "name": self.host.name,
                "title": self.host.title,
                "verified_with": list(self.host.verified_with),
            },
            "verdict": self.verdict,
            "refused_by_host": self.refused_by_host,
            "crashes_host": self.crashes_host,
            "valid": facts.valid,
            "validation_error": facts.validation_error,
            "abi": {
                "version": self.abi_version,
                "markers": [{"name": m.name, "version": m.version, "kind": m.kind} for m in facts.markers],
                "status": marker_status(facts),
            },
            "memory": None
            if memory is None
            else {
                "reachable_as": reachable_memory(facts, self.host),
                "exported_as": list(memory.exported_as),
                "imported_as": memory.imported_as,
                "initial_pages": memory.initial_pages,
                "maximum_pages": memory.limits.maximum if memory.limits else None,
            },
            "allocator": {
                "exported": [n for n in ("proxy_on_memory_allocate", "malloc") if facts.exports_function(n)],
                "host_calls": next(
                    (n for n in self.host.allocator_lookup if facts.exports_function(n)), None
                ),
            },
            "start_up": {
                "exports": [
                    n for n in ("_initialize", "main", "__main_void", "_start") if facts.exports_function(n)
                ],
                "start_function": binary.start_function if binary else None,
            },
            "callbacks": sorted(n for n in facts.functions if n.startswith(("proxy_on_", "envoy_on_"))),
            "imports": [
                {"module": i.module, "name": i.name, "kind": i.kind, "type": str(i.type) if i.type else None}
                for i in facts.imports
            ],
            "roles": self.roles,
            "features": self.features,
            "custom_sections": self.custom_sections(),
            "producers": {k: [list(p) for p in v] for k, v in (binary.producers if binary else {}).items()},
            "size_limit": self.host.max_module_bytes,
            "cases": {case_id: r.as_dict() for case_id, r in self.results.items()},
            "findings": [f.as_dict() for f in self.findings],
            "seconds": round(self.seconds, 6),
        }


def marker_status(facts: ModuleFacts) -> str:
    """none | one | several | unknown (only markers of versions no host knows)."""
    markers = facts.function_markers
    if not markers:
        return "none"
    if not any(m.version for m in markers):
        return "unknown"
    return "one" if len(markers) == 1 else "several"


def inspect_bytes(
    data: bytes,
    host: str | HostProfile = DEFAULT_HOST,
    *,
    name: str = "module",
    envoy_version: str | None = None,
) -> Inspection:
    """Run every static ABI case on ``data`` for the host profile ``host`` (as Envoy ``envoy_version``)."""
    profile = host if isinstance(host, HostProfile) else host_profile(host, envoy_version)
    started = time.perf_counter()
    facts = read_facts(data)
    results = {}
    for case_id in CASES:
        outcome = CHECKS[case_id](facts, profile)
        if isinstance(outcome, NotApplicable):
            results[case_id] = CaseResult(case_id, NOT_APPLICABLE, reason=outcome.reason)
        else:
            results[case_id] = CaseResult(case_id, FAIL if outcome else PASS, tuple(outcome))
    sha256 = hashlib.sha256(data).hexdigest()
    return Inspection(name, sha256, profile, facts, results, time.perf_counter() - started)


def inspect_module(
    module: WasmModule, host: str = DEFAULT_HOST, envoy_version: str | None = None
) -> Inspection:
    """The inspection of a loaded module, computed once per (sha256, host, Envoy release) and shared."""
    key = (module.sha256, host, envoy_version)
    cached = _cache.get(key)
    if cached is None:
        cached = _cache[key] = inspect_bytes(
            module.data, host, name=module.source, envoy_version=envoy_version
        )
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return cached


def read_module_bytes(path: str | Path) -> bytes:
    """The bytes to inspect: a ``.wasm`` file as is (even invalid), a ``.wat`` file compiled.

    Raises ``ModuleError`` with a one-line reason for a missing, unreadable or unparsable file.
    """
    source = user_path(path)
    if source.suffix == ".wat":
        return compile_wat(source, name=str(path))
    return read_module_file(source, name=str(path))  # the loader's rules: regular file, size limit
