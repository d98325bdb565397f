"""Wasm module packages: OCI layouts, archives and registries; building and checking them (no pytest).

from pytest_wasmhub.oci import read_package, build_package, run_checks, RegistryClient
"""

from __future__ import annotations

from .checks import CHECKS, NotApplicable, Outcome, describe, run_checks
from .layout import read_archive, read_layout, write_archive, write_layout
from .model import Package, PackageError, RegistryError
from .package import build_package
from .registry import Reference, RegistryClient, parse_reference
from .source import is_package_source, load_package, read_package
from .variants import VARIANTS, detect_variant, find_module

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
