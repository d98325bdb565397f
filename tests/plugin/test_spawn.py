"""Children started from any thread: tied to the thread that starts them (``PR_SET_PDEATHSIG``, set by
``setpriv`` so Python starts them with vfork rather than forking the whole test process), with a copy of
the environment taken while other threads change it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from pytest_wasmhub.spawn import environment, tied


def test_a_child_dies_with_the_thread_that_started_it():
    started: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        command, preexec = tied(["sleep", "60"])
        child = subprocess.Popen(command, preexec_fn=preexec)
        started.append(child)
        # setpriv sets the signal, then runs sleep: end the thread only once it did (as a runner's
        # thread waits for its Envoy's start-up)
        deadline = time.monotonic() + 5
        while Path(f"/proc/{child.pid}/cmdline").read_bytes().split(b"\0")[0] != b"sleep":
            assert time.monotonic() < deadline, "setpriv never ran the program"
            time.sleep(0.001)

    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
    child = started[0]
    assert child.wait(timeout=10) == -signal.SIGKILL, "the child outlived the thread that started it"


def test_setpriv_spares_the_fork():
    assert shutil.which("setpriv"), "setpriv (util-linux) is part of every Debian system"
    command, preexec = tied(["sleep", "1"])
    assert preexec is None and command[:3] == [shutil.which("setpriv"), "--pdeathsig", "KILL"]
    assert command[-2:] == ["sleep", "1"]


def test_a_missing_program_is_reported_as_popen_would():
    command, preexec = tied(["/no/such/program"])
    with pytest.raises(FileNotFoundError):
        subprocess.Popen(command, preexec_fn=preexec)


def test_the_environment_is_copied_while_another_thread_changes_it():
    stop = threading.Event()

    def churn() -> None:
        n = 0
        while not stop.is_set():
            os.environ[f"WASMHUB_CHURN_{n % 64}"] = "x" * (n % 200)
            os.environ.pop(f"WASMHUB_CHURN_{(n + 32) % 64}", None)
            n += 1

    changing = threading.Thread(target=churn)
    changing.start()
    try:
        copies = [environment() for _ in range(300)]
    finally:
        stop.set()
        changing.join()
        for name in [n for n in os.environ if n.startswith("WASMHUB_CHURN_")]:
            os.environ.pop(name, None)
    assert all(copy.get("PATH") == os.environ["PATH"] for copy in copies)


def test_an_untied_child_runs_as_given():
    assert tied(["sleep", "1"], tie=False) == (["sleep", "1"], None)
