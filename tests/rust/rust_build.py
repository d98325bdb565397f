"""Build a Cargo workspace of proxy-wasm modules once, for every test and every xdist worker.

``build_workspace(path)`` runs ``cargo build --release --target wasm32-wasip1 --locked`` and returns a
directory holding the workspace's ``.wasm`` files. The result is cached under a key made of the
toolchain's version, ``Cargo.lock`` and every manifest and source file, so a rerun with nothing
changed builds nothing; a file lock makes concurrent workers wait for one build instead of racing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TARGET = "wasm32-wasip1"
BUILD_TIMEOUT = 900  # a first build fetches the crates and compiles them on a 2-core machine
_COMPLETE = "complete"
_SOURCE_SUFFIXES = (".rs", ".toml")


class RustToolchainMissing(RuntimeError):
    """cargo, or the wasm32-wasip1 target of its rustc, is not installed; the message says how to get it."""


class RustBuildFailed(RuntimeError):
    """cargo ran and failed; the message carries the end of its output."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pytest-wasmhub" / "rust-builds"


def find_tool(name: str) -> str | None:
    """``name`` on PATH, else in rustup's ``$CARGO_HOME/bin`` (a shell that never sourced ~/.cargo/env)."""
    found = shutil.which(name)
    if found:
        return found
    cargo_home = Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")
    candidate = cargo_home / "bin" / name
    return str(candidate) if os.access(candidate, os.X_OK) else None


def toolchain() -> str:
    """``rustc -vV`` of the toolchain cargo uses; raises RustToolchainMissing when it cannot build."""
    cargo, rustc = find_tool("cargo"), find_tool("rustc")
    if cargo is None or rustc is None:
        raise RustToolchainMissing(
            "no Rust toolchain: cargo or rustc is not on PATH (install Rust with rustup, then "
            f"`rustup target add {TARGET}`, which tests/setup-machine.sh runs)"
        )
    version = subprocess.run([rustc, "-vV"], capture_output=True, text=True, check=True).stdout
    sysroot = subprocess.run(
        [rustc, "--print", "sysroot"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not (Path(sysroot) / "lib" / "rustlib" / TARGET).is_dir():
        raise RustToolchainMissing(
            f"the Rust toolchain at {sysroot} has no {TARGET} target: run `rustup target add {TARGET}`"
        )
    return version


def source_files(workspace: Path) -> list[Path]:
    """What a build depends on: the lock file, every manifest and every Rust source, outside target/."""
    files = [workspace / "Cargo.lock"]
    for path in sorted(workspace.rglob("*")):
        relative = path.relative_to(workspace)
        if relative.parts[0] == "target" or not path.is_file():
            continue
        if path.suffix in _SOURCE_SUFFIXES:
            files.append(path)
    return files


def build_key(workspace: Path, toolchain_version: str) -> str:
    digest = hashlib.sha256(toolchain_version.encode())
    for path in source_files(workspace):
        digest.update(str(path.relative_to(workspace)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_workspace(workspace: Path) -> Path:
    """The directory of the workspace's built modules (``NAME.wasm``), building them if needed."""
    workspace = workspace.resolve()
    if not (workspace / "Cargo.lock").is_file():
        raise RustBuildFailed(f"{workspace} has no Cargo.lock: builds are pinned by a committed lock file")
    version = toolchain()
    name = workspace.name
    root = cache_root()
    output = root / f"{name}-{build_key(workspace, version)}"
    with _locked(root / f"{name}.lock"):
        if (output / _COMPLETE).is_file():
            return output
        # one target directory per workspace, kept between keys, so a source change rebuilds little
        target_dir = root / f"{name}-target"
        cargo = find_tool("cargo") or "cargo"
        command = [
            cargo,
            "build",
            "--release",
            "--locked",
            "--target",
            TARGET,
            "--manifest-path",
            str(workspace / "Cargo.toml"),
            "--target-dir",
            str(target_dir),
        ]
        # rustup's cargo finds rustc next to itself
        path = os.pathsep.join([str(Path(cargo).parent), os.environ.get("PATH", "")])
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PATH": path},
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
            raise RustBuildFailed(f"`{' '.join(command)}` failed (exit {done.returncode}):\n{tail}")
        built = sorted((target_dir / TARGET / "release").glob("*.wasm"))
        if not built:
            raise RustBuildFailed(f"cargo built no .wasm file for {workspace}")
        staging = output.with_name(output.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for module in built:
            shutil.copy2(module, staging / module.name)
        shutil.rmtree(output, ignore_errors=True)
        staging.rename(output)
        (output / _COMPLETE).write_text(" ".join(command) + "\n")
        return output


def seed_target_dir(workspace: Path, destination: Path) -> None:
    """Copy the cached build of ``workspace`` to ``destination`` (a copy's ``target/``), so that cargo
    there rebuilds only the workspace's own crates, not every dependency."""
    root = cache_root()
    name = workspace.resolve().name
    with _locked(root / f"{name}.lock"):
        cached = root / f"{name}-target"
        if cached.is_dir():
            shutil.copytree(cached, destination, symlinks=True, dirs_exist_ok=True)
