"""What a module is, read once from its sections: the raw material of every static case.

Reading is pure Python over the section headers, imports and exports (``wasm_binary``); the code itself is
only validated, by wasmtime, which is the one step whose time grows with the module's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import wasmtime

from ..wasm_binary import WASM_MAGIC, Export, FuncType, Import, Limits, WasmBinary, WasmFormatError, parse
from .model import MARKER_PREFIX, version_of_marker

_ENGINE = wasmtime.Engine()


@dataclass(frozen=True)
class Marker:
    name: str
    version: str | None  # None: a version no host knows
    kind: str  # "func" normally; anything else is ignored by hosts
    type: FuncType | None


@dataclass(frozen=True)
class MemoryFacts:
    exported_as: tuple[str, ...]  # names of memory exports
    imported_as: str | None  # "module.name" of an imported memory
    limits: Limits | None  # of memory 0, defined or imported

    @property
    def initial_pages(self) -> int | None:
        return self.limits.minimum if self.limits else None


@dataclass
class ModuleFacts:
    size: int
    binary: WasmBinary | None = None
    parse_error: str | None = None
    validation_error: str | None = None
    functions: dict[str, FuncType | None] = field(default_factory=dict)  # exported functions by name
    function_indices: dict[str, int] = field(default_factory=dict)
    export_order: list[Export] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    memory: MemoryFacts | None = None

    @property
    def parsed(self) -> bool:
        return self.binary is not None

    @property
    def valid(self) -> bool:
        return self.validation_error is None

    @property
    def unreadable(self) -> bool:
        """Valid WebAssembly that this reader cannot read (a feature it does not know)."""
        return self.parse_error is not None and self.validation_error is None

    @property
    def function_markers(self) -> list[Marker]:
        return [m for m in self.markers if m.kind == "func"]

    @property
    def abi_version(self) -> str | None:
        """The version a host uses: the first known marker function in export order."""
        return next((m.version for m in self.function_markers if m.version), None)

    @property
    def imports(self) -> list[Import]:
        return self.binary.imports if self.binary else []

    def exports_function(self, name: str) -> bool:
        return name in self.functions


def read_facts(data: bytes) -> ModuleFacts:
    facts = ModuleFacts(size=len(data))
    try:
        binary = parse(data)
    except (WasmFormatError, IndexError, KeyError) as exc:
        facts.parse_error = str(exc) or type(exc).__name__
        # bytes wasmtime accepts use a feature this reader does not know (e.g. GC types), not invalid ones
        facts.validation_error = _validate(data) if data[:4] == WASM_MAGIC else facts.parse_error
        return facts
    facts.binary = binary
    facts.validation_error = _validate(data)
    facts.export_order = list(binary.exports)
    for export in binary.exports:
        if export.kind == "func" and export.name not in facts.functions:
            facts.functions[export.name] = binary.function_type(export.index)
            facts.function_indices[export.name] = export.index
        if export.name.startswith(MARKER_PREFIX):
            func_type = binary.function_type(export.index) if export.kind == "func" else None
            facts.markers.append(Marker(export.name, version_of_marker(export.name), export.kind, func_type))
    facts.memory = _memory(binary)
    return facts


def _validate(data: bytes) -> str | None:
    try:
        wasmtime.Module.validate(_ENGINE, data)
    except wasmtime.WasmtimeError as exc:
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        return "; ".join(lines[:3]) or "invalid module"
    return None


def _memory(binary: WasmBinary) -> MemoryFacts:
    imported = next((imp for imp in binary.imports if imp.kind == "memory"), None)
    exported = tuple(e.name for e in binary.exports if e.kind == "memory")
    limits = imported.limits if imported else (binary.memories[0] if binary.memories else None)
    return MemoryFacts(
        exported_as=exported,
        imported_as=f"{imported.module}.{imported.name}" if imported else None,
        limits=limits,
    )
