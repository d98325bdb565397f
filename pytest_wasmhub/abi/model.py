"""The proxy-wasm ABI as data: one JSON file per version in ``abi/data``, read into :class:`AbiVersion`.

The files transcribe the spec (github.com/proxy-wasm/spec, ``abi-versions/v*/README.md``) and record where
real hosts differ from its text. Signatures are wasm types: pointers, sizes, booleans and enums are ``i32``;
64-bit values are ``i64``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..wasm_binary import FuncType

ABI_VERSIONS = ("0.1.0", "0.2.0", "0.2.1")
MARKER_PREFIX = "proxy_abi_version_"
START_UP_EXPORTS = ("_initialize", "main", "_start")
ALLOCATORS = ("proxy_on_memory_allocate", "malloc")


class AbiDataError(ValueError):
    """An ABI version or host profile that does not exist, or a data file that does not parse."""


@dataclass(frozen=True)
class Signature:
    """A wasm function type plus what the spec says of the function (``doc`` is not part of equality)."""

    params: tuple[str, ...]
    results: tuple[str, ...]
    doc: str = field(default="", compare=False)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Signature:
        return cls(tuple(data["params"]), tuple(data["results"]), data.get("doc", ""))

    def matches(self, func_type: FuncType | None) -> bool:
        return func_type is not None and (func_type.params, func_type.results) == (self.params, self.results)

    def __str__(self) -> str:
        return f"({', '.join(self.params)}) -> ({', '.join(self.results)})"


@dataclass(frozen=True)
class AbiVersion:
    """Everything one ABI version defines."""

    version: str
    marker: str
    source: str
    notes: tuple[str, ...]
    callbacks: dict[str, Signature]  # module exports the host may call, start-up and allocator included
    host_functions: dict[str, Signature]  # ``env`` imports the spec defines for this version
    wasi_module: str
    wasi_functions: dict[str, Signature]  # WASI functions the spec names
    status_codes: dict[str, int]  # spec names and host-only extras (see ``host_only_status_codes``)
    host_only_status_codes: frozenset[str]
    enums: dict[str, dict[str, int]]
    features: dict[str, str]  # function name -> feature group ("http_callouts", "timers", ...)
    deprecated: frozenset[str]
    spec_text_signatures: dict[str, Signature]  # where the spec's text prints a signature hosts do not use
    host_differences: tuple[dict[str, str], ...]

    @property
    def spec_status_codes(self) -> dict[str, int]:
        return {k: v for k, v in self.status_codes.items() if k not in self.host_only_status_codes}

    def imports(self) -> dict[tuple[str, str], Signature]:
        """Every function the spec says a host provides for this version, keyed by (module, name)."""
        out = {("env", name): sig for name, sig in self.host_functions.items()}
        out.update({(self.wasi_module, name): sig for name, sig in self.wasi_functions.items()})
        return out


def marker_name(version: str) -> str:
    return MARKER_PREFIX + version.replace(".", "_")


def version_of_marker(name: str) -> str | None:
    """``proxy_abi_version_0_2_1`` -> ``0.2.1`` for a known version, else None."""
    if not name.startswith(MARKER_PREFIX):
        return None
    version = name[len(MARKER_PREFIX) :].replace("_", ".")
    return version if version in ABI_VERSIONS else None


def read_data_file(*parts: str) -> dict[str, Any]:
    """A JSON file under ``pytest_wasmhub/abi/data``."""
    path = resources.files(__package__).joinpath("data")
    for part in parts:
        path = path.joinpath(part)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AbiDataError(f"no ABI data file {'/'.join(parts)}") from None
    except json.JSONDecodeError as exc:
        raise AbiDataError(f"ABI data file {'/'.join(parts)} is not valid JSON: {exc}") from None


@cache
def load_abi(version: str) -> AbiVersion:
    """The ABI ``version`` (one of :data:`ABI_VERSIONS`)."""
    if version not in ABI_VERSIONS:
        raise AbiDataError(f"unknown proxy-wasm ABI version {version!r}; known: {', '.join(ABI_VERSIONS)}")
    data = read_data_file(f"abi-{version}.json")
    functions = {**data["callbacks"], **data["host_functions"], **data["wasi_functions"]}
    status_codes = dict(data["status_codes"])
    status_codes.update({name: extra["value"] for name, extra in data["host_status_codes"].items()})
    return AbiVersion(
        version=data["version"],
        marker=data["marker"]["name"],
        source=data["source"],
        notes=tuple(data["notes"]),
        callbacks=_signatures(data["callbacks"]),
        host_functions=_signatures(data["host_functions"]),
        wasi_module=data["wasi_module"],
        wasi_functions=_signatures(data["wasi_functions"]),
        status_codes=status_codes,
        host_only_status_codes=frozenset(data["host_status_codes"]),
        enums={name: dict(values) for name, values in data["enums"].items()},
        features={name: spec["feature"] for name, spec in functions.items()},
        deprecated=frozenset(name for name, spec in functions.items() if spec.get("deprecated")),
        spec_text_signatures={
            name: Signature.from_data(spec["spec_text"])
            for name, spec in data["host_functions"].items()
            if "spec_text" in spec
        },
        host_differences=tuple(data["host_differences"]),
    )


def _signatures(table: dict[str, dict[str, Any]]) -> dict[str, Signature]:
    return {name: Signature.from_data(spec) for name, spec in table.items()}
