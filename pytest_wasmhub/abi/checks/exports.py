"""Checks on the callbacks and start-up functions the module exports."""

from __future__ import annotations

import difflib

from ..facts import ModuleFacts
from ..hosts import HostProfile
from ..model import ABI_VERSIONS, load_abi
from .base import NAP_UNPARSED, Outcome, candidate_versions, capital, check, describe_versions, finding, typed

CORE_CALLBACKS = ("proxy_on_context_create", "proxy_on_vm_start", "proxy_on_configure")
HTTP_CALLBACKS = frozenset(
    f"proxy_on_{direction}_{part}"
    for direction in ("request", "response")
    for part in ("headers", "body", "trailers")
)
NETWORK_CALLBACKS = frozenset({
    "proxy_on_new_connection", "proxy_on_downstream_data", "proxy_on_upstream_data",
    "proxy_on_downstream_connection_close", "proxy_on_upstream_connection_close",
})  # fmt: skip
ROOT_CALLBACKS = frozenset({
    "proxy_on_vm_start", "proxy_on_configure", "proxy_on_tick", "proxy_on_queue_ready",
    "proxy_on_http_call_response", "proxy_on_grpc_receive", "proxy_on_grpc_close",
    "proxy_on_foreign_function",
})  # fmt: skip


# --- callbacks -------------------------------------------------------------------------------------------


def is_callback_name(name: str) -> bool:
    return name.startswith(("proxy_on_", "envoy_on_")) or name == "proxy_validate_configuration"


@check("ABI-CALLBACK-001")
def callback_types(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    versions = candidate_versions(facts, host)
    problems = []
    for name, have in facts.functions.items():
        wanted = [host.callbacks(v)[name] for v in versions if name in host.callbacks(v)]
        if not wanted or any(w.matches(have) for w in wanted):
            continue
        want = " or ".join(sorted({str(w) for w in wanted}))
        hint = ""
        other = [
            v
            for v in ABI_VERSIONS
            if v not in versions
            and name in load_abi(v).callbacks
            and load_abi(v).callbacks[name].matches(have)
        ]
        if other:
            hint = f" That is its type in ABI {', '.join(other)}: the module may declare the wrong version."
        problems.append(
            finding(
                "ABI-CALLBACK-001",
                f"{name} is typed {typed(have)}, but for {describe_versions(facts, host)} "
                f"{host.display_name} calls it as {want} and refuses the module "
                f"('Bad function signature for: {name}').{hint} Fix the export's type.",
                name,
                have=typed(have),
                want=want,
            )
        )
    return problems


@check("ABI-CALLBACK-002")
def callback_names(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    versions = candidate_versions(facts, host)
    known = {name for v in versions for name in host.callbacks(v)} | {"proxy_on_memory_allocate"}
    problems = []
    for name in facts.functions:
        if not is_callback_name(name) or name in known:
            continue
        elsewhere = [v for v in ABI_VERSIONS if name in load_abi(v).callbacks]
        if elsewhere:
            why = (
                f"it is a callback of ABI {', '.join(elsewhere)} only, and the module declares "
                f"{', '.join(versions)}"
            )
        else:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
            why = "no ABI version defines it" + (f" (did you mean {close[0]}?)" if close else "")
        problems.append(
            finding("ABI-CALLBACK-002", f"{name} is never called: {why}. Rename or remove the export.", name)
        )
    return problems


@check("ABI-CALLBACK-003")
def core_callbacks(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    missing = [name for name in CORE_CALLBACKS if not facts.exports_function(name)]
    if not missing:
        return []
    return [
        finding(
            "ABI-CALLBACK-003",
            f"The module does not export {', '.join(missing)}. {capital(host.display_name)} accepts that, "
            "but nginx refuses the module ('filter missing one of: on_context_create, on_vm_start, "
            "on_plugin_start'). Export them; they may do nothing and return true.",
            ", ".join(missing),
        )
    ]


def roles(facts: ModuleFacts) -> list[str]:
    """What the module can be used as, from the callbacks it exports."""
    names = set(facts.functions)
    out = []
    if names & HTTP_CALLBACKS:
        out.append("http-filter")
    if names & NETWORK_CALLBACKS:
        out.append("network-filter")
    if not out and names & ROOT_CALLBACKS:
        out.append("root-service")
    return out


@check("ABI-ROLE-001")
def has_a_use(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    if roles(facts):
        return []
    return [
        finding(
            "ABI-ROLE-001",
            "The module exports no HTTP callback (proxy_on_request_headers ...), no "
            "network callback (proxy_on_new_connection, proxy_on_downstream_data ...) and no root "
            "callback (proxy_on_vm_start, proxy_on_tick ...): the host never runs its code after start-up. "
            "Export the callbacks of the plugin you mean to build.",
        )
    ]


# --- start-up --------------------------------------------------------------------------------------------


@check("ABI-START-001")
def start_up_types(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    version = candidate_versions(facts, host)[0]
    names = (
        host.start_with_initialize if facts.exports_function("_initialize") else host.start_without_initialize
    )
    table = host.start_up_signatures(version)
    problems = []
    for name in names:
        if name in table and facts.exports_function(name) and not table[name].matches(facts.functions[name]):
            problems.append(
                finding(
                    "ABI-START-001",
                    f"{name} is typed {typed(facts.functions[name])}; {host.display_name} calls it as "
                    f"{table[name]} and refuses the module ('Bad function signature for: {name}'). Fix its "
                    "type (a reactor exports _initialize () -> ()).",
                    name,
                    have=typed(facts.functions[name]),
                    want=str(table[name]),
                )
            )
    return problems


@check("ABI-START-002")
def start_up_combination(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    problems = []
    if facts.exports_function("_start") and facts.exports_function("_initialize"):
        problems.append(
            finding(
                "ABI-START-002",
                "The module exports both _start and _initialize: Envoy and the "
                "spec run only _initialize, nginx runs whichever comes first in the export section. "
                "Build a reactor (e.g. -mexec-model=reactor, crate-type cdylib) that exports only "
                "_initialize.",
                "_start",
            )
        )
    if facts.exports_function("main") and not facts.exports_function("_initialize"):
        problems.append(
            finding(
                "ABI-START-002",
                "The module exports main without _initialize: main is called "
                "only after _initialize, so no host runs it. Export _initialize, or move the code "
                "to proxy_on_vm_start.",
                "main",
            )
        )
    return problems


@check("ABI-START-003")
def no_start_section(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    assert facts.binary is not None
    index = facts.binary.start_function
    if index is None:
        return []
    return [
        finding(
            "ABI-START-003",
            f"The module has a wasm start function (function {index}). "
            f"{host.start_section_note} Move that code to _initialize or proxy_on_vm_start.",
            f"function {index}",
        )
    ]
