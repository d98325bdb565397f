"""Checks on the module's linear memory and on the allocator the host calls."""

from __future__ import annotations

from ..catalogue import CRASH
from ..facts import ModuleFacts
from ..hosts import HostProfile
from ..model import ALLOCATORS, Signature, load_abi
from .base import NAP_UNPARSED, NotApplicable, Outcome, candidate_versions, capital, check, finding, typed


def reachable_memory(facts: ModuleFacts, host: HostProfile) -> str | None:
    """How the host reaches the module's memory ("export NAME" / "import M.N"), or None."""
    memory = facts.memory
    if memory is None:
        return None
    if "exported" in host.memory_sources:
        names = (
            memory.exported_as
            if host.memory_any_export_name
            else tuple(n for n in memory.exported_as if n == "memory")
        )
        if names:
            return f"export {names[0]}"
    if "imported" in host.memory_sources and memory.imported_as:
        return f"import {memory.imported_as}"
    return None


@check("ABI-MEMORY-001")
def memory_reachable(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    if reachable_memory(facts, host):
        return []
    memory = facts.memory
    if memory and (memory.exported_as or memory.imported_as):
        have = (
            f"exports its memory as {', '.join(memory.exported_as)}"
            if memory.exported_as
            else (f"imports its memory ({memory.imported_as})")
        )
        problem = f"the module {have}, but {host.display_name} needs an exported memory named 'memory'"
    elif facts.binary and facts.binary.memories:
        problem = "the module defines a memory but does not export it"
    else:
        problem = "the module has no linear memory at all"
    if host.memory_missing_effect == CRASH:
        consequence = (
            f"{host.display_name} loads it, then the whole proxy process dies (SIGSEGV) at the module's "
            "first host call, taking every listener with it (at start-up if proxy_on_vm_start or "
            "proxy_on_configure call the host)"
        )
    else:
        consequence = f"{host.display_name} cannot pass data to it and refuses it"
    return [
        finding(
            "ABI-MEMORY-001",
            f"{capital(problem)}: {consequence}. Export the memory as 'memory' (e.g. (export \"memory\" "
            "(memory 0)); toolchains do this unless told not to).",
            effect=host.memory_missing_effect,
        )
    ]


@check("ABI-MEMORY-002")
def memory_initial_size(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    pages = facts.memory.initial_pages if facts.memory else None
    if pages is None:
        return NotApplicable("the module has no memory (see ABI-MEMORY-001)")
    limit = host.max_initial_memory_pages
    if pages <= limit:
        return []
    return [
        finding(
            "ABI-MEMORY-002",
            f"The memory starts at {pages} pages ({pages * 64 // 1024} MiB); {host.display_name} allows at "
            f"most {limit} pages ({limit * 64 // 1024} MiB) and fails to instantiate the module ('Failed to "
            "create new Wasm instance'). Lower the initial memory (linker flag --initial-memory, or the "
            "(memory N) declaration) and grow it at run time.",
            initial_pages=pages,
            limit=limit,
        )
    ]


@check("ABI-MEMORY-003")
def memory_exported_as_memory(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    if not reachable_memory(facts, host):
        return NotApplicable("the host cannot reach any memory of this module (see ABI-MEMORY-001)")
    memory = facts.memory
    assert memory is not None
    if memory.imported_as:
        return [
            finding(
                "ABI-MEMORY-003",
                f"The module imports its memory ({memory.imported_as}); hosts that link "
                "only functions (nginx) refuse it. Define the memory in the module and export it as "
                "'memory' (drop --import-memory).",
                memory.imported_as,
            )
        ]
    if "memory" not in memory.exported_as:
        return [
            finding(
                "ABI-MEMORY-003",
                f"The module exports its memory as {', '.join(memory.exported_as)}; "
                "export it as 'memory', the name SDK toolchains and hosts use.",
                memory.exported_as[0],
            )
        ]
    return []


@check("ABI-ALLOC-001")
def allocator(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    chosen = next((name for name in host.allocator_lookup if facts.exports_function(name)), None)
    if chosen is None:
        return [
            finding(
                "ABI-ALLOC-001",
                f"The module exports neither proxy_on_memory_allocate nor malloc, so "
                f"{host.display_name} refuses it ('Wasm module is missing malloc function.'). Export "
                "proxy_on_memory_allocate typed (i32) -> (i32), returning a pointer to a fresh buffer.",
            )
        ]
    want = load_abi(candidate_versions(facts, host)[0]).callbacks[chosen]
    have = facts.functions[chosen]
    if want.matches(have):
        return []
    order = " before ".join(host.allocator_lookup)
    return [
        finding(
            "ABI-ALLOC-001",
            f"{capital(host.display_name)} calls {chosen} (it looks up {order}) but the module types it "
            f"{typed(have)}; it must be {want}, so the module is refused ('Bad function signature for: "
            f"{chosen}'). Fix its type.",
            chosen,
            have=typed(have),
            want=str(want),
        )
    ]


@check("ABI-ALLOC-002")
def spec_allocator(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    exported = [name for name in ALLOCATORS if facts.exports_function(name)]
    if not exported:
        return NotApplicable("the module exports no allocator (see ABI-ALLOC-001)")
    want = Signature(("i32",), ("i32",))
    if "proxy_on_memory_allocate" not in exported:
        return [
            finding(
                "ABI-ALLOC-002",
                "The module exports only the deprecated malloc. Export "
                "proxy_on_memory_allocate (i32) -> (i32) too, as the same function.",
                "malloc",
            )
        ]
    problems = []
    if not want.matches(facts.functions["proxy_on_memory_allocate"]):
        problems.append(
            finding(
                "ABI-ALLOC-002",
                f"proxy_on_memory_allocate is typed {typed(facts.functions['proxy_on_memory_allocate'])}"
                f"; hosts that follow the spec call it as {want}. Fix its type.",
                "proxy_on_memory_allocate",
            )
        )
    indices = facts.function_indices
    if "malloc" in exported and indices["malloc"] != indices["proxy_on_memory_allocate"]:
        problems.append(
            finding(
                "ABI-ALLOC-002",
                "malloc and proxy_on_memory_allocate are different functions: Envoy and nginx call malloc, "
                "spec-following hosts call proxy_on_memory_allocate. Export one allocator under both names, "
                "or only proxy_on_memory_allocate.",
                "malloc",
            )
        )
    return problems
