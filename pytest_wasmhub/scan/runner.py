"""One unit of a scan as its own pytest process: started, watched against its time limit, judged.

Each run is ``python -m pytest --wasm MODULE --envoy-version V --wasm-report FILE`` in a directory of
its own, with no ini file, so a module that crashes, hangs or exhausts memory takes down only its own
process. The process leads a new process group and dies with the scan (``PR_SET_PDEATHSIG``); at the
time limit the whole group (pytest and every Envoy it started) is terminated, then killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..spawn import tied
from .manifest import Unit
from .records import CRASHED, DONE, TIMEOUT, UNUSABLE, RunPaths, read_report_facts, write_record

TERMINATE_GRACE = 5.0
USAGE_ERROR = 4  # pytest's exit code for a usage error: the plugin refused the module or a setting
# pytest's own: 0 conformant, 1 not, 2 interrupted, 3 internal error, 4 usage error, 5 nothing collected
_SCRUBBED_ENV = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


@dataclass(frozen=True)
class Backend:
    """How every run starts Envoy: a local release (``--envoy-version``) or a container image."""

    envoy_image: str | None = None
    envoy_cache: str | None = None
    envoy_offline: bool = False

    def args(self, unit: Unit) -> list[str]:
        if self.envoy_image:
            return [f"--envoy-image={self.envoy_image}"]
        args = [f"--envoy-version={unit.envoy_version}"]
        if self.envoy_cache:
            args.append(f"--envoy-cache={self.envoy_cache}")
        if self.envoy_offline:
            args.append("--envoy-offline")
        return args


def pytest_command(unit: Unit, paths: RunPaths, workdir: Path, backend: Backend) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-c",
        os.devnull,  # no ini file (and its addopts) from wherever the scan runs
        "--rootdir",
        str(workdir),
        "--basetemp",
        str(workdir / "tmp"),
        "-q",
        "-rN",
        f"--wasm={unit.entry.module}",
        f"--wasm-report={paths.report}",
        *backend.args(unit),
        *unit.entry.pytest_args(),
    ]


@dataclass
class Running:
    unit: Unit
    paths: RunPaths
    sha256: str | None
    process: subprocess.Popen[bytes]
    workdir: Path
    started: float
    deadline: float
    log_file: object = field(repr=False, default=None)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def start(unit: Unit, paths: RunPaths, sha256: str | None, backend: Backend, timeout: float) -> Running:
    paths.directory.mkdir(parents=True, exist_ok=True)
    # a stale report must never pass for this run's: remove the files this run writes
    for stale in (paths.record, paths.report):
        stale.unlink(missing_ok=True)
    for left in paths.directory.glob(f".run-{paths.stem}-*"):  # of a scan that was killed
        shutil.rmtree(left, ignore_errors=True)
    workdir = paths.directory / f".run-{paths.stem}-{os.getpid()}"
    workdir.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    log = paths.log.open("wb")
    tie = threading.current_thread() is threading.main_thread()
    command, preexec = tied(pytest_command(unit, paths, workdir, backend), tie)
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the time limit kills Envoy with it
        preexec_fn=preexec,
    )
    now = time.monotonic()
    return Running(unit, paths, sha256, process, workdir, now, now + timeout, log)


def finish(running: Running, *, timed_out: bool = False) -> dict[str, object]:
    """Judge a run that ended (or was killed) and write its record; returns the record."""
    code = running.process.wait()
    _close(running)
    duration = running.elapsed
    facts = read_report_facts(running.paths.report)
    if timed_out:
        status, message = TIMEOUT, f"killed after {duration:.0f} s, the time limit"
    elif facts is not None and facts.module_sha256 not in (None, running.sha256) and running.sha256:
        status, message = CRASHED, f"the report is for module {facts.module_sha256}, not {running.sha256}"
    elif facts is not None:
        status, message = DONE, facts.status
    elif code == USAGE_ERROR:
        status, message = UNUSABLE, _usage_reason(running.paths.log)
    else:
        status, message = CRASHED, _crash_reason(code, running.paths.log)
    if status != DONE:
        running.paths.report.unlink(missing_ok=True)
    shutil.rmtree(running.workdir, ignore_errors=True)
    return write_record(
        running.paths,
        running.unit,
        sha256=running.sha256,
        status=status,
        exit_code=code,
        duration=duration,
        message=message,
    )


def kill_group(running: Running) -> None:
    """Terminate the run's process group, then kill what is left after a grace period."""
    for sig, grace in ((signal.SIGTERM, TERMINATE_GRACE), (signal.SIGKILL, TERMINATE_GRACE)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(running.process.pid, sig)
        try:
            running.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # pytest is gone; anything else in its group (an Envoy) goes too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(running.process.pid, signal.SIGKILL)
        return


def abandon(running: Running) -> None:
    """The scan is stopping: kill the run and leave no record, so a restart redoes it."""
    kill_group(running)
    _close(running)
    running.paths.report.unlink(missing_ok=True)
    shutil.rmtree(running.workdir, ignore_errors=True)


def record_unreadable(paths: RunPaths, unit: Unit, reason: str) -> dict[str, object]:
    """A module the scan itself could not read: no pytest process is started for it."""
    paths.directory.mkdir(parents=True, exist_ok=True)
    return write_record(paths, unit, sha256=None, status=UNUSABLE, exit_code=None, duration=0, message=reason)


def _close(running: Running) -> None:
    log = running.log_file
    if log is not None:
        log.close()  # type: ignore[attr-defined]
        running.log_file = None


def _tail(log: Path, lines: int = 40) -> list[str]:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines()[-lines:] if line.strip()]


def _usage_reason(log: Path) -> str:
    tail = _tail(log)
    errors = [line.removeprefix("ERROR:").strip() for line in tail if line.startswith("ERROR:")]
    return (errors or tail or ["pytest refused the run (usage error)"])[-1][:500]


def _crash_reason(code: int, log: Path) -> str:
    how = f"killed by signal {-code}" if code < 0 else f"exited with {code}"
    last = _tail(log)[-1:] or ["no output"]
    return f"pytest {how} without a report: {last[0][:300]}"
