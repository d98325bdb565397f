"""Host profiles: what a given host links, type-checks and calls (``abi/data/hosts/<name>.json``).

``envoy`` is measured against the real Envoy (and proven by ``tests/abi/test_abi_envoy_profile.py``); ``spec``
is a strict host that provides exactly what the spec text defines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from .model import ABI_VERSIONS, AbiDataError, Signature, load_abi, read_data_file

HOST_PROFILES = ("envoy", "spec")
DEFAULT_HOST = "envoy"


@dataclass(frozen=True, eq=False)  # one instance per profile (see host_profile): identity is equality
class HostProfile:
    name: str
    display_name: str  # how messages name the host: "Envoy"
    title: str
    description: str
    verified_with: tuple[str, ...]  # Envoy versions the profile was proven against
    abi_versions: tuple[str, ...]
    env_extra: dict[str, Signature]  # ``env`` functions linked beyond the ABI's host functions
    wasi_modules: tuple[str, ...]
    wasi_table: dict[str, Signature] | None  # None: the ABI's WASI functions
    non_function_imports: dict[str, str]  # import kind -> "provided" | "refused"
    extra_callbacks: dict[str, Signature]  # exports type-checked beyond the ABI's proxy_on_* callbacks
    allocator_lookup: tuple[str, ...]  # the first one exported is the one called (and type-checked)
    start_with_initialize: tuple[str, ...]
    start_without_initialize: tuple[str, ...]
    start_extra_signatures: dict[str, Signature]  # start-up functions beyond the spec's (e.g. __main_void)
    start_up_allowed: frozenset[tuple[str, str]]  # host calls allowed during _initialize / _start
    start_section_note: str
    memory_sources: tuple[str, ...]  # "exported", "imported"
    memory_any_export_name: bool
    max_initial_memory_pages: int
    memory_missing_effect: str  # what a module the host cannot reach the memory of gets: "crash" | "refused"
    several_markers: str  # "accepted" | "refused"
    root_lifecycle: tuple[str, ...]
    http_lifecycle: tuple[str, ...]
    network_lifecycle: tuple[str, ...]
    max_module_bytes: int  # the distribution limit (Istio, Envoy Gateway)
    notes: dict[str, str]  # topic -> what the host does, for messages

    def imports(self, abi_version: str) -> dict[tuple[str, str], Signature]:
        """Every function import the host links for a module of ``abi_version``: (module, name) -> type."""
        return dict(_imports(self, abi_version))

    def callbacks(self, abi_version: str) -> dict[str, Signature]:
        """Exports the host type-checks at load, start-up functions and allocators excluded."""
        return dict(_callbacks(self, abi_version))

    def start_up_signatures(self, abi_version: str) -> dict[str, Signature]:
        """The types of the start-up functions the host may call (_initialize, main, _start, ...)."""
        abi = load_abi(abi_version)
        names = {*self.start_with_initialize, *self.start_without_initialize}
        table = {**abi.callbacks, **self.start_extra_signatures}
        return {name: table[name] for name in sorted(names) if name in table}

    def is_wasi_module(self, module: str) -> bool:
        return module in self.wasi_modules


@cache
def _imports(profile: HostProfile, abi_version: str) -> dict[tuple[str, str], Signature]:
    abi = load_abi(abi_version)
    out = {("env", name): sig for name, sig in abi.host_functions.items()}
    out.update({("env", name): sig for name, sig in profile.env_extra.items()})
    wasi = abi.wasi_functions if profile.wasi_table is None else profile.wasi_table
    for module in profile.wasi_modules:
        out.update({(module, name): sig for name, sig in wasi.items()})
    return out


@cache
def _callbacks(profile: HostProfile, abi_version: str) -> dict[str, Signature]:
    abi = load_abi(abi_version)
    out = {name: sig for name, sig in abi.callbacks.items() if name.startswith("proxy_on_")}
    out.pop("proxy_on_memory_allocate", None)
    out.update(profile.extra_callbacks)
    return out


def host_profile(name: str = DEFAULT_HOST, envoy_version: str | None = None) -> HostProfile:
    """The host profile ``name`` (one of :data:`HOST_PROFILES`); for ``envoy``, as the release
    ``envoy_version`` has it (default: the newest release the profile describes)."""
    if envoy_version is None or name != "envoy":
        return _profile(name)
    return _for_release(_profile(name), _release(envoy_version))


def _release(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split(".")[:3])
    except ValueError:
        raise AbiDataError(f"{version!r} is not an Envoy version like 1.38.2") from None


@cache
def _for_release(profile: HostProfile, release: tuple[int, ...]) -> HostProfile:
    """``profile`` without what releases older than each ``older_releases`` entry lack."""
    for older in read_data_file("hosts", f"{profile.name}.json").get("older_releases", []):
        if release >= _release(older["before"]):
            continue
        missing = set(older["wasi_missing"])
        restricted = missing | set(older["start_up_restricted"])
        not_called = set(older["start_up_not_called"])
        profile = replace(
            profile,
            title=f"{profile.title}; as Envoy {'.'.join(map(str, release))} (before {older['before']})",
            wasi_table={k: v for k, v in (profile.wasi_table or {}).items() if k not in missing},
            start_with_initialize=tuple(n for n in profile.start_with_initialize if n not in not_called),
            start_extra_signatures={
                k: v for k, v in profile.start_extra_signatures.items() if k not in not_called
            },
            start_up_allowed=frozenset(k for k in profile.start_up_allowed if k[1] not in restricted),
            notes={**profile.notes, "release": older["doc"]},
        )
    return profile


@cache
def _profile(name: str) -> HostProfile:
    if name not in HOST_PROFILES:
        raise AbiDataError(f"unknown host profile {name!r}; known: {', '.join(HOST_PROFILES)}")
    data = read_data_file("hosts", f"{name}.json")
    imports, exports, start_up, memory = data["imports"], data["exports"], data["start_up"], data["memory"]
    wasi_modules = tuple(imports["wasi"]["modules"])
    wasi_functions = imports["wasi"]["functions"]
    allowed = start_up["allowed_calls"]
    start_up_allowed = {("env", fn) for fn in allowed["env"]}
    start_up_allowed |= {(module, fn) for module in wasi_modules for fn in allowed["wasi"]}
    return HostProfile(
        name=data["name"],
        display_name=data["display_name"],
        title=data["title"],
        description=data["description"],
        verified_with=tuple(data["verified_with"]),
        abi_versions=tuple(v for v in data["abi_versions"] if v in ABI_VERSIONS),
        env_extra=_signatures(imports["env"]["extra"]),
        wasi_modules=wasi_modules,
        wasi_table=None if wasi_functions == "abi" else _signatures(wasi_functions),
        non_function_imports={k: v for k, v in imports["non_function"].items() if k != "doc"},
        extra_callbacks=_signatures(exports["extra_callbacks"]),
        allocator_lookup=tuple(data["allocator"]["lookup"]),
        start_with_initialize=tuple(start_up["with_initialize"]),
        start_without_initialize=tuple(start_up["without_initialize"]),
        start_extra_signatures=_signatures(start_up["extra_signatures"]),
        start_up_allowed=frozenset(start_up_allowed),
        start_section_note=start_up["start_section"],
        memory_sources=tuple(memory["sources"]),
        memory_any_export_name=bool(memory["any_export_name"]),
        max_initial_memory_pages=int(memory["max_initial_pages"]),
        memory_missing_effect=memory["without"],
        several_markers=data["markers"]["several"],
        root_lifecycle=tuple(data["root_lifecycle"]),
        http_lifecycle=tuple(data["http_lifecycle"]),
        network_lifecycle=tuple(data["network_lifecycle"]),
        max_module_bytes=int(data["distribution"]["max_module_bytes"]),
        notes={
            "markers": data["markers"]["doc"],
            "imports": imports["env"]["doc"],
            "non_function_imports": imports["non_function"]["doc"],
            "exports": exports["doc"],
            "allocator": data["allocator"]["doc"],
            "start_up": start_up["doc"],
            "memory": memory["doc"],
            "distribution": data["distribution"]["doc"],
        },
    )


def _signatures(table: dict[str, dict[str, Any]]) -> dict[str, Signature]:
    return {name: Signature.from_data(spec) for name, spec in table.items()}
