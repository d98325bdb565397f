"""Run a scan: the shard's units, up to N pytest processes at a time, resuming what is already done.

The loop runs in one thread and polls its children: every process is started from the main thread,
so the death signal that ties it to the scan stays armed for its whole life.
"""

from __future__ import annotations

import contextlib
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..module import ModuleError, load_module
from .manifest import Manifest, Unit
from .progress import Progress
from .records import DONE, is_finished, paths_for
from .runner import Backend, Running, abandon, finish, kill_group, record_unreadable, start
from .shard import WHOLE, Shard

DEFAULT_TIMEOUT = 600.0
POLL_SECONDS = 0.1


class ScanError(RuntimeError):
    """The scan cannot start (an Envoy release or image cannot be provided); one line."""


@dataclass
class ScanResult:
    units: int = 0  # in this shard
    skipped: int = 0  # finished by an earlier run
    ran: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False


@dataclass
class ScanOptions:
    jobs: int = 1
    shard: Shard = WHOLE
    timeout: float = DEFAULT_TIMEOUT
    retry_errors: bool = False
    backend: Backend = field(default_factory=Backend)


def plan(manifest: Manifest, options: ScanOptions) -> list[Unit]:
    """The units of this shard (with ``--envoy-image``: every entry on the image's Envoy only)."""
    versions = None
    if options.backend.envoy_image:
        versions = (image_envoy_version(options.backend.envoy_image),)
    return options.shard.select(manifest.units(versions))


def scan(manifest: Manifest, out: Path, options: ScanOptions, stream: TextIO | None = None) -> ScanResult:
    out = Path(out).resolve()  # runs work in directories of their own
    out.mkdir(parents=True, exist_ok=True)
    units = plan(manifest, options)
    result = ScanResult(units=len(units))
    progress = Progress(len(units), stream)
    progress.line(
        f"wasmhub scan: {len(units)} runs in shard {options.shard} "
        f"({len(manifest.entries)} entries in the manifest), {options.jobs} at a time"
    )
    if options.backend.envoy_image and units:
        progress.line(
            f"wasmhub scan: --envoy-image {options.backend.envoy_image}: every entry runs on its "
            f"Envoy {units[0].envoy_version}, not the manifest's envoy_versions"
        )
    digests = _Digests()
    pending: list[tuple[Unit, str | None]] = []
    for unit in units:
        sha256, problem = digests.of(unit)
        paths = paths_for(out, unit, sha256)
        if is_finished(paths, unit, sha256, retry_errors=options.retry_errors):
            result.skipped += 1
            progress.skip(unit.label)
        elif problem is not None:
            record = record_unreadable(paths, unit, problem)
            _count(result, progress, unit, record)
        else:
            pending.append((unit, sha256))
    if pending and not options.backend.envoy_image:
        _provide_releases(sorted({u.envoy_version for u, _ in pending}), options.backend, progress)
    digests.close()
    with _stop_on_signals():
        try:
            _run_all(pending, out, options, result, progress)
        except KeyboardInterrupt:
            result.interrupted = True
        finally:
            progress.close()
    return result


def _run_all(
    pending: list[tuple[Unit, str | None]],
    out: Path,
    options: ScanOptions,
    result: ScanResult,
    progress: Progress,
) -> None:
    queue = list(reversed(pending))
    running: list[Running] = []
    try:
        while queue or running:
            while queue and len(running) < options.jobs:
                unit, sha256 = queue.pop()
                timeout = unit.entry.timeout or options.timeout
                running.append(start(unit, paths_for(out, unit, sha256), sha256, options.backend, timeout))
                progress.running([r.unit.label for r in running])
            time.sleep(POLL_SECONDS)
            for run in list(running):
                timed_out = run.process.poll() is None and time.monotonic() > run.deadline
                if timed_out:
                    kill_group(run)
                    _remove_orphan_containers(options.backend)
                elif run.process.poll() is None:
                    continue
                running.remove(run)
                record = finish(run, timed_out=timed_out)
                _count(result, progress, run.unit, record)
                progress.running([r.unit.label for r in running])
    finally:
        for run in running:  # interrupted: no record, so the next scan redoes them
            abandon(run)
        if running:
            _remove_orphan_containers(options.backend)


def _count(result: ScanResult, progress: Progress, unit: Unit, record: dict[str, object]) -> None:
    status = str(record["status"])
    result.ran += 1
    result.statuses[status] = result.statuses.get(status, 0) + 1
    message = str(record["message"])
    shown, detail = (message, "") if status == DONE else (status, message)  # a finished run: its verdict
    progress.done(unit.label, shown, float(record["duration"]), detail)  # type: ignore[arg-type]


class _Digests:
    """The sha256 of each entry's module, read once per entry by the scan itself (pulled if need be)."""

    def __init__(self) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="wasmhub-scan-")
        self._known: dict[int, tuple[str | None, str | None]] = {}

    def of(self, unit: Unit) -> tuple[str | None, str | None]:
        entry = unit.entry
        if entry.index not in self._known:
            insecure = entry.settings.get("wasm-insecure-registry")
            try:
                module = load_module(
                    entry.module,
                    Path(self._workdir.name) / str(entry.index),
                    insecure_registry=True if insecure in (True, "true", "1") else None,
                )
                self._known[entry.index] = (module.sha256, None)
            except ModuleError as exc:
                self._known[entry.index] = (None, str(exc).splitlines()[0])
        return self._known[entry.index]

    def close(self) -> None:
        self._workdir.cleanup()


def _provide_releases(versions: list[str], backend: Backend, progress: Progress) -> None:
    """Download missing Envoy releases once, before any run: a download never eats a run's time limit."""
    from ..envoy import EnvoyBinaryError, envoy_version, resolve_envoy_binary
    from ..envoy.versions import EnvoyVersionError, install_envoy

    try:
        default = envoy_version(resolve_envoy_binary())
    except EnvoyBinaryError:
        default = None
    for version in versions:
        if version == default:
            continue
        try:
            install_envoy(version, backend.envoy_cache, offline=backend.envoy_offline)
        except EnvoyVersionError as exc:
            raise ScanError(f"Envoy {version}: {exc}") from None


def image_envoy_version(image: str) -> str:
    try:
        import docker
        import docker.errors

        from ..envoy.image import envoy_version_in_image

        client = docker.from_env()
        version = envoy_version_in_image(client, image)
    except ImportError:
        raise ScanError(
            "--envoy-image needs the container extra: pip install 'pytest-wasmhub[container]'"
        ) from None
    except docker.errors.DockerException as exc:
        raise ScanError(f"--envoy-image {image}: {str(exc).splitlines()[0]}") from None
    if version.startswith("unknown"):
        raise ScanError(f"--envoy-image {image}: cannot tell its Envoy version: {version}")
    return version


def _remove_orphan_containers(backend: Backend) -> None:
    """A killed pytest cannot remove its Envoy containers: remove those whose owner is gone."""
    if not backend.envoy_image:
        return
    with contextlib.suppress(Exception):  # best effort: the next session's start removes them too
        import docker

        from ..envoy.cleanup import remove_leftovers

        remove_leftovers(docker.from_env())


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM (a pod being stopped) ends the scan like Ctrl-C: runs in flight are killed, not recorded."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
