"""The module under test: one ``WasmModule`` from whatever the user named.

A source is a ``.wasm`` file or a ``.wat`` text file (compiled with ``wasmtime.wat2wasm``). Bad input
raises :class:`ModuleError` with a one-line reason that names the file; the plugin turns it into a
usage error.
"""

from __future__ import annotations

import hashlib
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import wasmtime

from .paths import user_path
from .wasm_binary import MAX_MODULE_BYTES, WASM_MAGIC, WasmBinary, WasmFormatError, parse

ABI_MARKER_PREFIX = "proxy_abi_version_"


class ModuleError(ValueError):
    """The named module cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class WasmModule:
    """A WebAssembly module ready to hand to a host."""

    source: str  # what the user named (a path or a reference)
    path: Path  # a file holding exactly ``data``; Envoy loads this
    data: bytes = field(repr=False)
    kind: str = "wasm"  # wasm | wat | oci-layout | oci-archive | oci-registry
    package: dict[str, Any] | None = field(default=None, compare=False)  # OCI metadata, when packaged

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def binary(self) -> WasmBinary:
        return parse(self.data)

    @cached_property
    def abi_markers(self) -> list[str]:
        """Every ``proxy_abi_version_*`` function export, in export-section order."""
        return [n for n in self.binary.export_names("func") if n.startswith(ABI_MARKER_PREFIX)]

    @property
    def abi_version(self) -> str | None:
        """The ABI version a host would pick: the first marker, as ``0.2.1``; None without one."""
        if not self.abi_markers:
            return None
        return self.abi_markers[0][len(ABI_MARKER_PREFIX) :].replace("_", ".")

    def describe(self) -> str:
        return (
            f"{self.source} ({self.size} bytes, sha256 {self.sha256[:12]}, abi {self.abi_version or 'none'})"
        )


def load_module(source: str | Path, workdir: Path, *, insecure_registry: bool | None = None) -> WasmModule:
    """Turn a user's module reference into a validated :class:`WasmModule`.

    ``workdir`` receives files that must exist on disk for a host to load (a compiled ``.wat``, a module
    extracted from a package). ``insecure_registry`` allows plain HTTP to a registry off loopback.
    """
    text = str(source)
    if not text.endswith((".wasm", ".wat")):
        # oci://, OCI layouts, .tar archives; imported only then (the registry client is slow to import)
        from .oci.source import is_package_source, load_package

        if is_package_source(text):
            return load_package(text, workdir, insecure=insecure_registry)
    path = user_path(text)
    if path.suffix == ".wat":
        data = compile_wat(path, name=text)
        compiled = Path(workdir) / f"{path.stem}-{hashlib.sha256(data).hexdigest()[:12]}.wasm"
        compiled.parent.mkdir(parents=True, exist_ok=True)
        compiled.write_bytes(data)
        return _checked(WasmModule(text, compiled, data, kind="wat"))
    data = read_module_file(path, name=text)
    return _checked(WasmModule(text, path.resolve(), data))


def read_module_file(path: str | Path, *, name: str | None = None) -> bytes:
    """The bytes of a module file, unvalidated, read in bounded memory.

    ``ModuleError`` names the file when it is missing, a directory, not a regular file (a named pipe
    would block forever, ``/dev/zero`` never ends), unreadable, or over :data:`MAX_MODULE_BYTES`.
    """
    name = shown_name(str(path) if name is None else name)
    path = user_path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ModuleError(f"{name}: no such file") from None
    except OSError as exc:
        raise ModuleError(f"{name}: cannot read: {exc.strerror}") from None
    except ValueError:  # a NUL byte: no file can have that name
        raise ModuleError(f"{name!r}: not a file name") from None
    if stat.S_ISDIR(status.st_mode):
        raise ModuleError(f"{name}: is a directory, not a .wasm or .wat file")
    if not stat.S_ISREG(status.st_mode):
        raise ModuleError(f"{name}: not a regular file (a device, named pipe or socket); give a module file")
    check_module_size(status.st_size, name)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_MODULE_BYTES + 1)
    except OSError as exc:
        raise ModuleError(f"{name}: cannot read: {exc.strerror}") from None
    check_module_size(len(data), name)  # the file grew while being read
    return data


def shown_name(name: str) -> str:
    """A name as the user wrote it, quoted when it holds characters that would break the one line of an
    error (a line separator, a control character)."""
    return name if name.isprintable() else repr(name)


def check_module_size(size: int, name: str) -> None:
    """The one size rule, for every source (file, .wat, package, registry) and every command."""
    if size > MAX_MODULE_BYTES:
        raise ModuleError(
            f"{name}: {size} bytes, over the {MAX_MODULE_BYTES >> 20} MiB a module may have "
            "(Istio and Envoy Gateway refuse larger modules)"
        )


def compile_wat(path: Path, *, name: str | None = None) -> bytes:
    """Compile WebAssembly text to a binary module."""
    name = shown_name(str(path) if name is None else name)
    try:
        text = read_module_file(path, name=name).decode()
    except UnicodeDecodeError as exc:
        raise ModuleError(f"{name}: cannot read as WebAssembly text: not UTF-8 (byte {exc.start})") from None
    try:
        return wasmtime.wat2wasm(text)
    except wasmtime.WasmtimeError as exc:
        raise ModuleError(f"{name}: WebAssembly text does not parse: {_wat_error(str(exc))}") from None


def validate_wasm(data: bytes, name: str) -> None:
    """Raise :class:`ModuleError` unless ``data`` is a valid WebAssembly module within the size rule."""
    name = shown_name(name)
    check_module_size(len(data), name)
    if len(data) == 0:
        raise ModuleError(f"{name}: empty file, not a WebAssembly module")
    if data[:4] != WASM_MAGIC:
        raise ModuleError(f"{name}: not a WebAssembly module (bad magic number {data[:4].hex() or 'none'})")
    try:
        wasmtime.Module.validate(_ENGINE, data)
    except wasmtime.WasmtimeError as exc:
        raise ModuleError(f"{name}: invalid WebAssembly module: {_first_line(str(exc))}") from None
    try:
        parse(data)
    except WasmFormatError as exc:
        raise ModuleError(f"{name}: invalid WebAssembly module: {exc}") from None


def _checked(module: WasmModule) -> WasmModule:
    validate_wasm(module.data, module.source)
    return module


def _wat_error(message: str) -> str:
    """``expected `)`` at line 1, column 27`` from wat2wasm's multi-line diagnostic."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    where = next((line for line in lines if line.startswith("-->")), "")
    position = re.search(r":(\d+):(\d+)$", where)
    reason = lines[0] if lines else message
    return f"{reason} at line {position[1]}, column {position[2]}" if position else reason


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    # wasmtime puts the useful part ("expected `)`", "unexpected end") after a generic first line
    return "; ".join(lines[:3]) if lines else message


def _validation_engine() -> wasmtime.Engine:
    # This engine only validates, but creating any engine installs wasmtime's trap signal handlers, which
    # fight pytest's faulthandler over a guest trap elsewhere: keep traps out of signals everywhere.
    config = wasmtime.Config()
    config.signals_based_traps = False
    return wasmtime.Engine(config)


_ENGINE = _validation_engine()
