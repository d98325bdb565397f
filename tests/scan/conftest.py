"""The full scan of a few real modules (the examples and a probe) on two Envoy releases, made once per
session (each xdist worker makes its own); ``wasmhub scan`` runs as a separate process, as a Job's pod would.
"""

from __future__ import annotations

import pytest
from scan_test_support import ENTRIES, RELEASES, Scan, wasmhub, write_manifest


@pytest.fixture(scope="session")
def full_scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    work = tmp_path_factory.mktemp("full-scan")
    manifest = write_manifest(work / "catalogue.json", ENTRIES, RELEASES)
    out = work / "out"
    result = wasmhub("scan", str(manifest), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr + result.stdout
    return Scan(manifest, out, result)
