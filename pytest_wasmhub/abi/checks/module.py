"""Checks on the module as a whole and on its ABI version markers."""

from __future__ import annotations

from ...wasm_binary import FuncType
from ..facts import ModuleFacts
from ..hosts import HostProfile
from ..model import marker_name
from .base import NAP_UNPARSED, NotApplicable, Outcome, capital, check, finding, typed

# --- the module as a whole -------------------------------------------------------------------------------


@check("ABI-WASM-001")
def valid_module(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if facts.unreadable:
        return NotApplicable(
            "wasmtime validates the module, but it uses a feature the inspector cannot read "
            f"({facts.parse_error})"
        )
    if facts.parse_error:
        return [
            finding(
                "ABI-WASM-001",
                f"The file is not a WebAssembly binary module: {facts.parse_error}. "
                "Give the compiled .wasm file (or a .wat source), not an archive or a text file.",
            )
        ]
    if facts.validation_error:
        return [
            finding(
                "ABI-WASM-001",
                f"The module does not validate: {facts.validation_error}. "
                "Rebuild it with a toolchain that targets wasm32 (wasm32-wasip1 or wasm32-unknown-unknown).",
            )
        ]
    return []


@check("ABI-SIZE-001")
def size_limit(facts: ModuleFacts, host: HostProfile) -> Outcome:
    limit = host.max_module_bytes
    if facts.size <= limit:
        return []
    return [
        finding(
            "ABI-SIZE-001",
            f"The module is {facts.size} bytes, over the {limit} bytes ({limit >> 20} MiB) "
            "that Istio and Envoy Gateway accept. Strip debug sections (wasm-opt --strip-debug, "
            "wasm-tools strip) and build in release mode.",
            size=facts.size,
            limit=limit,
        )
    ]


# --- version marker --------------------------------------------------------------------------------------


@check("ABI-MARKER-001")
def known_marker(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    if any(m.version in host.abi_versions for m in facts.function_markers):
        return []
    wanted = ", ".join(marker_name(v) for v in host.abi_versions)
    unknown = [m.name for m in facts.function_markers if m.version not in host.abi_versions]
    not_functions = [f"{m.name} (a {m.kind})" for m in facts.markers if m.kind != "func"]
    if unknown:
        problem = (
            f"it exports only markers of versions {host.display_name} does not know: {', '.join(unknown)}"
        )
    elif not_functions:
        problem = f"its marker is not a function: {', '.join(not_functions)}"
    else:
        problem = "it exports no proxy_abi_version_* function"
    return [
        finding(
            "ABI-MARKER-001",
            f"{capital(host.display_name)} refuses the module: {problem} ('Missing or unknown "
            f"Proxy-Wasm ABI version'). Export one of {wanted} as a function () -> () (SDKs do this; "
            "check the module was built with a proxy-wasm SDK).",
            unknown[0] if unknown else "",
        )
    ]


@check("ABI-MARKER-002")
def single_marker(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    markers = facts.function_markers
    if len(markers) <= 1:
        return []
    chosen = facts.abi_version
    names = ", ".join(m.name for m in markers)
    effect = (
        "refuses the module"
        if host.several_markers == "refused"
        else (f"uses the first known one ({marker_name(chosen)})" if chosen else "finds no known one")
    )
    return [
        finding(
            "ABI-MARKER-002",
            f"The module exports {len(markers)} ABI version markers ({names}); "
            f"{host.display_name} {effect} and ignores the rest, so the version depends on export order. "
            "Keep only the marker of the ABI your SDK implements.",
            names,
            markers=[m.name for m in markers],
        )
    ]


@check("ABI-MARKER-003")
def marker_type(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    if not facts.function_markers:
        return NotApplicable("the module exports no marker function (see ABI-MARKER-001)")
    empty = FuncType((), ())
    return [
        finding(
            "ABI-MARKER-003",
            f"The marker {m.name} is typed {typed(m.type)}; the spec defines it as () -> (). "
            "Declare it as a function with no parameters and no result.",
            m.name,
        )
        for m in facts.function_markers
        if m.type != empty
    ]
