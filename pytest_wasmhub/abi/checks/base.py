"""What every static check shares: the registry, finding construction and small helpers.

A check is a function (module facts, host profile) -> findings, or ``NotApplicable``; it is registered
under its case id with ``@check``. A failing case returns one finding per problem, so ``wasmhub inspect``
lists every problem at once. Messages say what is wrong and what to change.
"""

from __future__ import annotations

from collections.abc import Callable

from ...wasm_binary import FuncType
from ..catalogue import CASES, Finding, NotApplicable
from ..facts import ModuleFacts
from ..hosts import HostProfile

Outcome = list[Finding] | NotApplicable
Check = Callable[[ModuleFacts, HostProfile], Outcome]
CHECKS: dict[str, Check] = {}

NAP_UNPARSED = NotApplicable("the file could not be read as a WebAssembly module (see ABI-WASM-001)")


def check(case_id: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        if case_id not in CASES:
            raise KeyError(f"{func.__name__}: no static case {case_id}")
        CHECKS[case_id] = func
        return func

    return register


def finding(
    case_id: str, message: str, subject: str = "", *, effect: str | None = None, **detail: object
) -> Finding:
    case = CASES[case_id]
    return Finding(case_id, case.level, effect or case.effect, message, subject, dict(detail))


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def typed(func_type: FuncType | None) -> str:
    return str(func_type) if func_type else "(unknown type)"


def candidate_versions(facts: ModuleFacts, host: HostProfile) -> tuple[str, ...]:
    """The module's ABI version; every version the host knows when the module declares none."""
    version = facts.abi_version
    if version and version in host.abi_versions:
        return (version,)
    return host.abi_versions


def describe_versions(facts: ModuleFacts, host: HostProfile) -> str:
    version = facts.abi_version
    return (
        f"ABI {version}"
        if version
        else f"any ABI version {host.display_name} knows ({', '.join(host.abi_versions)})"
    )
