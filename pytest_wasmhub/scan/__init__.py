"""A registry's catalogue at scale, without pytest in the caller: scan, shard, merge, attest, verify.

from pytest_wasmhub.scan import ScanOptions, load_manifest, scan
from pytest_wasmhub.scan.merge import summarize          # the matrix, and --baseline's changes
from pytest_wasmhub.scan.attest import attest, verify    # reports attached to images (OCI referrers)
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
