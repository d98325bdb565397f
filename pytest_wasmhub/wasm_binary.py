"""A small reader for the WebAssembly binary format: just the parts the ABI checks need.

It reads the section headers, function types, imports, exports, memories, the start function and the
custom section names, without compiling anything, so it is fast on large modules. Validation of the
code itself is left to wasmtime (``wasmtime.Module.validate``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

WASM_MAGIC = b"\0asm"
# The largest module anything here accepts: Istio (ISTIO_WASM_MAX_BINARY_SIZE_BYTES default) and Envoy
# Gateway (maxWasmSize) both stop at 256 MiB, so a larger module cannot be distributed.
MAX_MODULE_BYTES = 256 * 1024 * 1024
WASM_VERSION = b"\x01\0\0\0"

VALUE_TYPES = {
    0x7F: "i32",
    0x7E: "i64",
    0x7D: "f32",
    0x7C: "f64",
    0x7B: "v128",
    0x70: "funcref",
    0x6F: "externref",
}
EXTERN_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}


class WasmFormatError(ValueError):
    """The bytes are not a WebAssembly module this reader understands."""


@dataclass(frozen=True)
class FuncType:
    params: tuple[str, ...]
    results: tuple[str, ...]

    def __str__(self) -> str:
        return f"({', '.join(self.params)}) -> ({', '.join(self.results)})"


@dataclass(frozen=True)
class Limits:
    minimum: int
    maximum: int | None
    memory64: bool = False
    shared: bool = False


@dataclass(frozen=True)
class Import:
    module: str
    name: str
    kind: str
    type: FuncType | None = None  # set for function imports
    limits: Limits | None = None  # set for memory and table imports


@dataclass(frozen=True)
class Export:
    name: str
    kind: str
    index: int


@dataclass
class WasmBinary:
    """What :func:`parse` read from a module."""

    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    function_type_indices: list[int] = field(default_factory=list)  # for functions defined in the module
    exports: list[Export] = field(default_factory=list)
    memories: list[Limits] = field(default_factory=list)  # defined (not imported) memories
    start_function: int | None = None
    custom_sections: list[tuple[str, int]] = field(default_factory=list)  # (name, size in bytes)
    producers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # field -> [(name, version)]

    @property
    def imported_functions(self) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == "func"]

    def function_type(self, function_index: int) -> FuncType | None:
        """The type of a function by its index in the function index space (imports first)."""
        imported = self.imported_functions
        if function_index < len(imported):
            return imported[function_index].type
        local = function_index - len(imported)
        if 0 <= local < len(self.function_type_indices):
            type_index = self.function_type_indices[local]
            if type_index < len(self.types):
                return self.types[type_index]
        return None

    def exported_function_types(self) -> dict[str, FuncType | None]:
        return {e.name: self.function_type(e.index) for e in self.exports if e.kind == "func"}

    def export_names(self, kind: str | None = None) -> list[str]:
        return [e.name for e in self.exports if kind is None or e.kind == kind]


def leb128(value: int) -> bytes:
    """``value`` as an unsigned LEB128 integer (for writing modules, e.g. in tests and benchmarks)."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


class _Reader:
    def __init__(self, data: bytes | memoryview, offset: int = 0, end: int | None = None) -> None:
        self.data = memoryview(data)
        self.pos = offset
        self.end = len(self.data) if end is None else end

    def at_end(self) -> bool:
        return self.pos >= self.end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise WasmFormatError(f"unexpected end of data at byte {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def u32(self) -> int:
        return self._unsigned(35)

    def u64(self) -> int:
        return self._unsigned(70)

    def _unsigned(self, max_shift: int) -> int:
        """An unsigned LEB128 integer of at most ``max_shift`` bits of shift."""
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
            if shift > max_shift:
                raise WasmFormatError(f"LEB128 integer too long at byte {self.pos}")

    def raw(self, size: int) -> bytes:
        if self.pos + size > self.end:
            raise WasmFormatError(f"unexpected end of data at byte {self.pos}")
        chunk = bytes(self.data[self.pos : self.pos + size])
        self.pos += size
        return chunk

    def name(self) -> str:
        return self.raw(self.u32()).decode("utf-8", errors="replace")

    def value_type(self) -> str:
        code = self.byte()
        if code not in VALUE_TYPES:
            raise WasmFormatError(f"unsupported value type 0x{code:02x}")
        return VALUE_TYPES[code]

    def limits(self) -> Limits:
        flags = self.byte()
        memory64 = bool(flags & 0x04)
        read = self.u64 if memory64 else self.u32
        minimum = read()
        maximum = read() if flags & 0x01 else None
        return Limits(minimum, maximum, memory64=memory64, shared=bool(flags & 0x02))


def parse(data: bytes) -> WasmBinary:
    """Read a module's sections. Raises :class:`WasmFormatError` for bytes that are not wasm."""
    if data[:4] != WASM_MAGIC:
        raise WasmFormatError("not a WebAssembly module (bad magic number)")
    if data[4:8] != WASM_VERSION:
        raise WasmFormatError(f"unsupported WebAssembly binary version {data[4:8].hex()}")
    out = WasmBinary()
    for section_id, start, size in _sections(data):
        _read_section(section_id, _Reader(data, start, start + size), out, size)
    return out


def _sections(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(id, start, size) of each section after the 8-byte header, checked to lie inside the module."""
    top = _Reader(data, 8)
    while not top.at_end():
        section_id = top.byte()
        size = top.u32()
        start = top.pos
        if start + size > len(data):
            raise WasmFormatError(f"section {section_id} runs past the end of the module")
        yield section_id, start, size
        top.pos = start + size


def _read_section(section_id: int, r: _Reader, out: WasmBinary, size: int) -> None:
    if section_id == 0:
        name = r.name()
        out.custom_sections.append((name, size))
        if name == "producers":
            _read_producers(r, out)
    elif section_id == 1:
        for _ in range(r.u32()):
            form = r.byte()
            if form != 0x60:
                raise WasmFormatError(f"unsupported type form 0x{form:02x}")
            params = tuple(r.value_type() for _ in range(r.u32()))
            results = tuple(r.value_type() for _ in range(r.u32()))
            out.types.append(FuncType(params, results))
    elif section_id == 2:
        for _ in range(r.u32()):
            module, name, kind = r.name(), r.name(), r.byte()
            func_type = limits = None
            if kind == 0:
                index = r.u32()
                func_type = out.types[index] if index < len(out.types) else None
            elif kind == 1:
                r.byte()
                limits = r.limits()
            elif kind == 2:
                limits = r.limits()
            elif kind == 3:
                r.byte()
                r.byte()
            elif kind == 4:
                r.byte()
                r.u32()
            else:
                raise WasmFormatError(f"unknown import kind {kind}")
            out.imports.append(Import(module, name, EXTERN_KINDS[kind], func_type, limits))
    elif section_id == 3:
        out.function_type_indices.extend(r.u32() for _ in range(r.u32()))
    elif section_id == 5:
        out.memories.extend(r.limits() for _ in range(r.u32()))
    elif section_id == 7:
        for _ in range(r.u32()):
            name, kind, index = r.name(), r.byte(), r.u32()
            if kind not in EXTERN_KINDS:
                raise WasmFormatError(f"unknown export kind {kind} for {name!r}")
            out.exports.append(Export(name, EXTERN_KINDS[kind], index))
    elif section_id == 8:
        out.start_function = r.u32()


def _read_producers(r: _Reader, out: WasmBinary) -> None:
    """The tool-conventions ``producers`` section (language, processed-by, sdk); ignored when malformed."""
    try:
        for _ in range(r.u32()):
            field_name = r.name()
            out.producers[field_name] = [(r.name(), r.name()) for _ in range(r.u32())]
    except WasmFormatError:
        out.producers.clear()


DATA_SECTION = 11


def section_payloads(data: bytes, section_id: int) -> list[bytes]:
    """The raw bytes of every section with this id (e.g. ``DATA_SECTION``: the data segments, headers
    included), without decoding them."""
    if data[:4] != WASM_MAGIC:
        raise WasmFormatError("not a WebAssembly module (bad magic number)")
    return [
        bytes(data[start : start + size]) for current, start, size in _sections(data) if current == section_id
    ]
