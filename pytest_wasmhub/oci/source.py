"""``--wasm`` given a package: read it, pull the module out, and keep the package for the spec cases.

Accepted: ``oci://HOST[:PORT]/REPO:TAG`` (or ``@sha256:…``), an OCI image layout directory, a ``.tar``
archive (OCI layout or ``docker save``); a layout or archive may be followed by ``:TAG`` to pick one
image among several.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..module import ModuleError, WasmModule, validate_wasm
from ..paths import user_path
from .checks import describe
from .layout import is_archive, is_layout_dir, read_archive, read_layout
from .model import Package, PackageError
from .registry import RegistryClient, is_reference, parse_reference
from .variants import find_module

# WasmModule.kind names the kind of source; a docker save archive is an archive like any other
MODULE_KINDS = {"oci-layout": "oci-layout", "oci-archive": "oci-archive", "docker-archive": "oci-archive"}


def is_package_source(source: str | Path) -> bool:
    """Whether ``load_module`` should hand ``source`` to :func:`load_package`."""
    text = str(source)
    if is_reference(text):
        return True
    path, _ = _split_tag(text)
    return path is not None


def read_package(source: str | Path, *, insecure: bool | None = None) -> Package:
    """The package ``source`` names; raises :class:`PackageError` with a one-line reason."""
    text = str(source)
    if is_reference(text):
        reference = parse_reference(text)
        return RegistryClient(reference.host, insecure=insecure).pull(reference)
    path, tag = _split_tag(text)
    if path is None:
        raise PackageError(f"{text}: neither an oci:// reference, an OCI layout directory nor a .tar archive")
    if path.is_dir():
        return read_layout(path, tag, source=text)
    return read_archive(path, tag, source=text)


def load_package(source: str | Path, workdir: Path, *, insecure: bool | None = None) -> WasmModule:
    """A :class:`WasmModule` whose ``package`` describes where it came from (``contents`` is the Package)."""
    text = str(source)
    try:
        package = read_package(text, insecure=insecure)
        located = find_module(package)
    except PackageError as exc:
        raise ModuleError(_one_line(str(exc), text)) from None
    validate_wasm(located.data, f"{text} ({located.where})")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"package-{hashlib.sha256(located.data).hexdigest()[:12]}.wasm"
    path.write_bytes(located.data)
    facts = describe(package)
    facts["module_location"] = located.where
    facts["contents"] = package
    kind = MODULE_KINDS.get(package.kind, "oci-registry")
    return WasmModule(text, path, located.data, kind=kind, package=facts)


def _split_tag(text: str) -> tuple[Path | None, str | None]:
    """``PATH`` or ``PATH:TAG`` where PATH is a layout directory or a .tar archive."""
    path = user_path(text)
    if is_layout_dir(path) or is_archive(path):
        return path, None
    head, colon, tag = text.rpartition(":")
    if colon and head and tag and "/" not in tag:
        path = user_path(head)
        if is_layout_dir(path) or is_archive(path):
            return path, tag
    return None, None


def _one_line(message: str, source: str) -> str:
    line = message.splitlines()[0] if message else "unreadable package"
    return line if line.startswith(source) else f"{source}: {line}"
