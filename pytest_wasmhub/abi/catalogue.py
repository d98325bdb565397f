"""The static ABI cases: their identity (id, level, spec sentence) and the vocabulary of their results.

One table serves both the inspector (``wasmhub inspect``) and the conformance suite (``conformance/abi``),
so the two can never disagree about what a case is. Ids are stable: never reused once published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..cases import MUST, SHOULD
from .model import ABI_VERSIONS

# What happens to a module that fails a case, on the chosen host.
REFUSED = "refused"  # the host refuses to load it (Envoy exits at start-up)
CRASH = "crash"  # the host loads it, then the whole proxy process crashes
RISK = "risk"  # may crash or be refused, depending on what the code does
IGNORED = "ignored"  # the host loads it but never calls that part
PORTABILITY = "portability"  # this host accepts it; another host or a distribution channel may not
EFFECTS = (REFUSED, CRASH, RISK, IGNORED, PORTABILITY)

PASS = "pass"
FAIL = "fail"
NOT_APPLICABLE = "not_applicable"

ENVOY_FACTS = "measured with Envoy 1.40.0 (tests/abi); docs/host-facts.md#start-failures-stop-envoy"


@dataclass(frozen=True)
class StaticCase:
    id: str
    title: str
    level: str
    effect: str  # what failing it means on Envoy (see EFFECTS)
    spec: str  # the spec sentence or measured host fact the case enforces
    reference: str
    in_suite: bool = True  # False: the suite's module loader already refuses such modules
    abi_versions: tuple[str, ...] = ABI_VERSIONS

    def case_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``pytest_wasmhub.cases.case``."""
        return {
            "title": self.title,
            "area": "abi",
            "level": self.level,
            "spec": self.spec,
            "reference": self.reference,
            "abi_versions": self.abi_versions,
        }


@dataclass(frozen=True)
class Finding:
    """One problem in a module: which case it breaks, what happens, and what to change."""

    case_id: str
    level: str
    effect: str
    message: str  # says what is wrong and what to change
    subject: str = ""  # the export, import or section concerned, e.g. "env.proxy_foo"
    detail: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "level": self.level,
            "effect": self.effect,
            "subject": self.subject,
            "message": self.message,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True)
class NotApplicable:
    reason: str


_CASES = (
    StaticCase(
        "ABI-WASM-001",
        "The file is a valid WebAssembly module",
        MUST,
        REFUSED,
        "A proxy-wasm module is a WebAssembly binary module; Envoy refuses bytes that do not parse or "
        "validate ('Failed to parse corrupted Wasm module').",
        ENVOY_FACTS,
        in_suite=False,
    ),
    StaticCase(
        "ABI-MARKER-001",
        "The module declares an ABI version the host supports",
        MUST,
        REFUSED,
        "Wasm modules should export proxy_abi_version_<major>_<minor>_<patch>. Envoy refuses a module "
        "without a function export naming a version it knows ('Missing or unknown Proxy-Wasm ABI version').",
        "proxy-wasm spec abi-versions/README.md; " + ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-MARKER-002",
        "The module exports exactly one ABI version marker",
        SHOULD,
        PORTABILITY,
        "A module declares the one ABI version it was compiled against. With several markers Envoy and nginx "
        "silently use the first known one in export order, so the version depends on the linker's ordering.",
        "proxy-wasm-cpp-host src/bytecode_util.cc; ngx_proxy_wasm.c; " + ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-MARKER-003",
        "The ABI version marker is typed () -> ()",
        SHOULD,
        PORTABILITY,
        "The marker function takes no parameters and returns nothing; it is never called. Envoy does not "
        "check its type (measured), a stricter host may.",
        "proxy-wasm spec abi-versions/v0.2.1 section Integration; " + ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-MEMORY-001",
        "The host can reach the module's linear memory",
        MUST,
        CRASH,
        "The host copies every argument and result through the module's memory. Envoy uses the memory the "
        "module exports (any name) or imports; a module with neither loads, and Envoy then dies with "
        "SIGSEGV at the module's first host call, taking every listener down with it.",
        ENVOY_FACTS + " section 3a",
    ),
    StaticCase(
        "ABI-MEMORY-002",
        "The initial memory fits the host's 1 GiB limit",
        MUST,
        REFUSED,
        "proxy-wasm-cpp-host caps a VM's memory at 1 GiB (16384 pages); Envoy fails to instantiate a module "
        "whose initial memory is larger ('Failed to create new Wasm instance').",
        "proxy-wasm-cpp-host include/proxy-wasm/limits.h; " + ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-MEMORY-003",
        "The module defines its memory and exports it as 'memory'",
        SHOULD,
        PORTABILITY,
        "Every SDK toolchain defines the module's memory and exports it as 'memory'. Envoy also accepts "
        "another name or an imported memory, but nginx refuses every non-function import ('NYI: module "
        "import type not supported'), so those forms are not portable.",
        "https://github.com/Kong/ngx_wasm_module/blob/main/src/wasm/vm/ngx_wavm.c",
    ),
    StaticCase(
        "ABI-ALLOC-001",
        "The module exports the allocator the host calls, typed (i32) -> i32",
        MUST,
        REFUSED,
        "The host allocates guest memory through proxy_on_memory_allocate, or the deprecated malloc. Envoy "
        "looks up malloc first, then proxy_on_memory_allocate; it refuses a module with neither ('Wasm "
        "module is missing malloc function.') or whose first one has another type ('Bad function signature "
        "for: malloc').",
        "proxy-wasm spec section Memory management (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1); proxy-wasm-cpp-host src/wasm.cc (https://github.com/proxy-wasm/proxy-wasm-cpp-host/blob/main/src/wasm.cc); "
        + ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-ALLOC-002",
        "The module exports proxy_on_memory_allocate, and malloc only as the same function",
        SHOULD,
        PORTABILITY,
        "malloc is deprecated in favor of proxy_on_memory_allocate and is called only in its absence. Envoy "
        "and nginx call malloc first, so a module whose two allocators differ behaves differently from host "
        "to host.",
        "proxy-wasm spec section Memory management (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1); proxy-wasm-cpp-host src/wasm.cc (https://github.com/proxy-wasm/proxy-wasm-cpp-host/blob/main/src/wasm.cc)",
    ),
    StaticCase(
        "ABI-CALLBACK-001",
        "Every callback the host resolves has the type of the module's ABI version",
        MUST,
        REFUSED,
        "Callbacks have fixed types per ABI version (e.g. proxy_on_request_headers takes 2 parameters in "
        "0.1.0 and 3 from 0.2.0). Envoy resolves each exported callback with that type and refuses the "
        "module on a mismatch ('Bad function signature for: NAME').",
        "proxy-wasm spec abi-versions/v*/README.md (https://github.com/proxy-wasm/spec/tree/main/abi-versions); proxy-wasm-cpp-host src/v8/v8.cc; "
        + ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-CALLBACK-002",
        "Every proxy_on_* export is a callback of the module's ABI version",
        SHOULD,
        IGNORED,
        "Callbacks are called only if exposed by the module under their exact name; a misspelt name, or a "
        "callback of another ABI version, is silently never called.",
        "proxy-wasm spec section Callbacks exposed by the Wasm module (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1)",
    ),
    StaticCase(
        "ABI-CALLBACK-003",
        "The module exports proxy_on_context_create, proxy_on_vm_start and proxy_on_configure",
        SHOULD,
        PORTABILITY,
        "The spec makes every callback optional, but nginx (ngx_wasm_module) refuses a module that lacks "
        "any of these three ('filter missing one of: on_context_create, on_vm_start, on_plugin_start').",
        "https://github.com/Kong/ngx_wasm_module/blob/main/src/common/proxy_wasm/ngx_proxy_wasm.c",
    ),
    StaticCase(
        "ABI-IMPORT-001",
        "Every import is one the host provides for the module's ABI version, with its type",
        MUST,
        REFUSED,
        "All functions exposed by the host are required, and a module may import only those. Envoy refuses "
        "a module importing anything else ('Failed to load Wasm module due to a missing import') or "
        "importing a function with another type ('... due to an import type mismatch').",
        "proxy-wasm spec section Functions exposed by the host; proxy-wasm-cpp-host src/v8/v8.cc; "
        + ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-IMPORT-002",
        "The module imports only what the spec defines for its ABI version",
        SHOULD,
        PORTABILITY,
        "Functions and WASI calls outside the spec's list for the version, and table or global imports, "
        "link on some hosts only (Envoy links pthread_equal and 45 WASI functions; nginx links fewer).",
        "proxy-wasm spec abi-versions/v*/README.md (https://github.com/proxy-wasm/spec/tree/main/abi-versions); Kong/ngx_wasm_module "
        "src/wasm/wasi/ngx_wasi_preview1_host.c",
    ),
    StaticCase(
        "ABI-WASI-001",
        "Every WASI import is in the host's WASI subset, with its type",
        MUST,
        REFUSED,
        "Hosts provide a subset of WASI preview 1. Envoy links 45 functions under wasi_snapshot_preview1 "
        "and wasi_unstable (path_link and path_symlink with non-standard types) and refuses any other WASI "
        "import.",
        "proxy-wasm-cpp-host include/proxy-wasm/exports.h; " + ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-START-001",
        "Start-up exports have the types the host calls them with",
        MUST,
        REFUSED,
        "_initialize and _start are () -> (), main is (i32, i32) -> i32. Envoy type-checks the start-up "
        "functions it will call and refuses the module on a mismatch ('Bad function signature for: _start').",
        "proxy-wasm spec section Integration (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1); proxy-wasm-cpp-host src/wasm.cc (https://github.com/proxy-wasm/proxy-wasm-cpp-host/blob/main/src/wasm.cc); "
        + ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-START-002",
        "Start-up exports form a combination every host runs the same way",
        SHOULD,
        PORTABILITY,
        "_start is called only if _initialize is not exported, and main only if _initialize is. nginx "
        "instead runs whichever of _start and _initialize comes first in the export section, and never "
        "main.",
        "proxy-wasm spec section Integration (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1); https://github.com/Kong/ngx_wasm_module/blob/main/src/wasm/vm/ngx_wavm.c",
    ),
    StaticCase(
        "ABI-START-003",
        "The module has no wasm start function",
        SHOULD,
        RISK,
        "Envoy runs the wasm start function while instantiating the module, before any context exists: a "
        "host call from it kills Envoy with SIGSEGV and a trap refuses the module (measured). Start-up code "
        "belongs in _initialize.",
        ENVOY_FACTS,
    ),
    StaticCase(
        "ABI-SIZE-001",
        "The module is at most 256 MiB",
        SHOULD,
        PORTABILITY,
        "Istio (ISTIO_WASM_MAX_BINARY_SIZE_BYTES, default 256 MiB) and Envoy Gateway (256 MiB) limit the "
        "size of a module they fetch: Envoy Gateway refuses a larger one and Istio truncates it.",
        "https://github.com/istio/istio/blob/master/pilot/pkg/features/pilot.go; https://github.com/envoyproxy/gateway/blob/main/internal/wasm/httpfetcher.go",
    ),
    StaticCase(
        "ABI-ROLE-001",
        "The module exports callbacks for at least one use",
        SHOULD,
        IGNORED,
        "A plugin is an HTTP filter, a stream (TCP) filter or a background task; a module with none of their "
        "callbacks loads but the host never runs any of its code after start-up.",
        "proxy-wasm spec section Terminology (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1)",
    ),
)

CASES: dict[str, StaticCase] = {c.id: c for c in _CASES}
SUITE_CASE_IDS: tuple[str, ...] = tuple(c.id for c in _CASES if c.in_suite)


def static_case(case_id: str) -> StaticCase:
    try:
        return CASES[case_id]
    except KeyError:
        raise KeyError(f"no static ABI case {case_id!r}") from None
