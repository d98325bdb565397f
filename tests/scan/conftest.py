"""The full scan of a few real modules (the examples and a probe) on two Envoy releases, made once per
run; ``wasmhub scan`` runs as a separate process, as a Job's pod would.

xdist workers share it: the first to take the lock scans, the others then run the same scan into the
same directory, which (being resumable) finds everything done.
"""

from __future__ import annotations

import fcntl
import os

import pytest
from scan_test_support import ENTRIES, RELEASES, Scan, wasmhub, write_manifest


@pytest.fixture(scope="session")
def full_scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / "wasmhub-full-scan"
    shared.mkdir(exist_ok=True)
    manifest = write_manifest(shared / "catalogue.json", ENTRIES, RELEASES)
    out = shared / "out"
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = wasmhub("scan", str(manifest), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr + result.stdout
    return Scan(manifest, out, result)
