"""Wasm module packages: OCI layouts, archives and registries; building and checking them (no pytest).

from pytest_wasmhub.oci import read_package, build_package, run_checks, RegistryClient
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .checks import CHECKS, NotApplicable, Outcome, describe, run_checks
from .layout import read_archive, read_layout, write_archive, write_layout
from .model import Package, PackageError, RegistryError
from .package import build_package
from .variants import VARIANTS, detect_variant, find_module

if TYPE_CHECKING:
    from .registry import Reference, RegistryClient, parse_reference
    from .source import is_package_source, load_package, read_package

# imported when first asked for: the registry client pulls in oras and requests, which a run on a
# module file (the spec cases only import ``checks``) never needs
_LAZY = {
    "Reference": "registry",
    "RegistryClient": "registry",
    "parse_reference": "registry",
    "is_package_source": "source",
    "load_package": "source",
    "read_package": "source",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CHECKS",
    "VARIANTS",
    "NotApplicable",
    "Outcome",
    "Package",
    "PackageError",
    "Reference",
    "RegistryClient",
    "RegistryError",
    "build_package",
    "describe",
    "detect_variant",
    "find_module",
    "is_package_source",
    "load_package",
    "parse_reference",
    "read_archive",
    "read_layout",
    "read_package",
    "run_checks",
    "write_archive",
    "write_layout",
]
