"""No Envoy outlives the session: after errors, Ctrl-C, kill -9 of pytest, and under xdist."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from wasmhub_test_support import process_gone

pytestmark = pytest.mark.usefixtures("clean_env")

RECORD_PID = """
import os, pathlib, time

def _record(envoy):
    path = pathlib.Path(os.environ["PIDS_DIR"]) / str(envoy.pid)
    path.write_text(str(envoy.pid))
"""


def _pids(directory) -> list[int]:
    return [int(p.name) for p in directory.iterdir()]


def _wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.fixture
def pids_dir(tmp_path, monkeypatch):
    directory = tmp_path / "pids"
    directory.mkdir()
    monkeypatch.setenv("PIDS_DIR", str(directory))
    return directory


def test_envoys_are_stopped_when_tests_fail_or_error(pytester, example_module, pids_dir):
    pytester.makepyfile(
        RECORD_PID
        + """
def test_fails(envoy):
    _record(envoy)
    assert False

def test_raises(envoy_factory):
    _record(envoy_factory())
    _record(envoy_factory(vm_id="second"))
    raise RuntimeError("boom")
"""
    )
    result = pytester.runpytest_subprocess("--wasm", str(example_module), "--wasm-no-conformance")
    result.assert_outcomes(failed=2)
    pids = _pids(pids_dir)
    assert len(pids) == 3
    assert all(process_gone(pid) for pid in pids)


@pytest.mark.parametrize("how", ["ctrl-c", "kill -9"])
def test_no_envoy_survives_an_interrupted_session(pytester, example_module, pids_dir, how):
    pytester.makepyfile(
        RECORD_PID
        + """
def test_hangs(envoy):
    _record(envoy)
    time.sleep(60)
"""
    )
    session = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "--wasm",
            str(example_module),
            "--wasm-no-conformance",
            "-p",
            "no:cacheprovider",
        ],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(lambda: _pids(pids_dir))
        (envoy_pid,) = _pids(pids_dir)
        assert not process_gone(envoy_pid)
        session.send_signal(signal.SIGINT if how == "ctrl-c" else signal.SIGKILL)
        output = session.communicate(timeout=30)[0].decode()
    finally:
        session.kill()
        session.wait()
    if how == "ctrl-c":
        assert "KeyboardInterrupt" in output
    _wait_for(lambda: process_gone(envoy_pid), timeout=10)


def test_xdist_workers_run_envoys_side_by_side_and_clean_up(pytester, example_module, pids_dir):
    pytester.makepyfile(
        RECORD_PID
        + """
import pytest

@pytest.mark.parametrize("n", range(4))
def test_traffic(envoy, upstream, n):
    _record(envoy)
    assert envoy.http.get(f"/{n}").headers["x-wasmhub-example"] == "hello"
    assert upstream.last_request.path == f"/{n}"
"""
    )
    result = pytester.runpytest_subprocess(
        "--wasm", str(example_module), "--wasm-no-conformance", "-n", "2", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=4)
    pids = _pids(pids_dir)
    assert len(pids) == 4
    assert all(process_gone(pid) for pid in pids)


def _envoy_children(parent: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(parent) and fields.get("Name", "").strip() == "envoy":
            found.append(int(status.parent.name))
    return found


def test_no_envoy_started_ahead_survives_a_killed_session(pytester, example_module):
    # the Envoys the suite starts in the background are tied to their session like any other
    pytester.makepyfile("import time\n\ndef test_hangs(wasmhub_warm_envoys):\n    time.sleep(60)\n")
    session = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--wasm", str(example_module), "-p", "no:cacheprovider",
         "-k", "test_hangs or test_module_loads_and_serves or test_trap_stays_inside"],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(lambda: len(_envoy_children(session.pid)) >= 2)
        ahead = _envoy_children(session.pid)
        session.send_signal(signal.SIGKILL)
        session.communicate(timeout=30)
    finally:
        session.kill()
        session.wait()
    _wait_for(lambda: all(process_gone(pid) for pid in ahead), timeout=10)
