"""A registry's catalogue at scale, without pytest in the caller: scan, shard, merge, attest, verify.

from pytest_wasmhub.scan import load_manifest, scan, ScanOptions, merge_dirs, attest, verify
"""

from __future__ import annotations

from .engine import ScanError, ScanOptions, ScanResult, scan
from .manifest import Entry, Manifest, ManifestError, Unit, load_manifest
from .shard import Shard, ShardError, parse_shard, resolve_shard

__all__ = [
    "Entry",
    "Manifest",
    "ManifestError",
    "ScanError",
    "ScanOptions",
    "ScanResult",
    "Shard",
    "ShardError",
    "Unit",
    "load_manifest",
    "parse_shard",
    "resolve_shard",
    "scan",
]
