"""``--envoy-image`` in a pytest session: usage errors, the report, failure reports with the container's
logs and crash facts, and the same verdicts as the process backend."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pytest_wasmhub.envoy.container import OOM_KILLED
from pytest_wasmhub.probes import probes_dir
from pytest_wasmhub.selfcheck import run_probe

MODULES = Path(__file__).with_name("modules")

GREEDY_TEST = """
def test_a_request_through_the_module(envoy):
    envoy.http.get("/")
"""


def test_unreachable_docker_is_a_usage_error(pytester, monkeypatch, clean_env):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--envoy-image", "wasmhub/envoy:1.40.0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--envoy-image: Docker is unreachable at unix:///nonexistent.sock*"])
    assert "Traceback" not in result.stderr.str()


def test_an_image_missing_from_the_engine_is_a_usage_error(pytester, docker_client, clean_env):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--envoy-image", "wasmhub/no-such-envoy:0.0.0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*image 'wasmhub/no-such-envoy:0.0.0' is not on the Docker engine*"])


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--envoy-container-memory", "lots", "*is not a memory size like 512m*"),
        ("--envoy-container-memory", "1m", "*below Docker's minimum of 6m*"),
        ("--envoy-container-pids", "0", "*is not a whole number from 1 to*"),
    ],
)
def test_bad_limits_are_usage_errors(pytester, clean_env, option, value, message):
    result = pytester.runpytest(option, value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{option}*{message}"])


def test_an_oom_kill_is_in_the_failure_report_with_the_containers_log(pytester, envoy_image, clean_env):
    pytester.makepyfile(test_greedy=GREEDY_TEST)
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--envoy-image",
        envoy_image,
        "--envoy-container-memory",
        "256m",
        "--wasm",
        str(MODULES / "exhaust_memory.wat"),
        "--wasm-no-conformance",
        f"--junitxml={junit}",
    )
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "backend container: image " + envoy_image in output  # the header
    assert "sandbox: memory 256m, pids 256, read-only root filesystem" in output
    assert OOM_KILLED in output
    assert "starting main dispatch loop" in output  # Envoy's own log, read from the container
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).iter("property")}
    assert properties["wasmhub_backend"] == "container"
    assert properties["wasmhub_container_limits"].startswith("memory 256m, pids 256")


VERDICT_RECORDER = """
import json
from pathlib import Path

from pytest_wasmhub.fixtures.container import runner

verdicts = {}


def pytest_collectreport(report):
    if report.failed:
        verdicts[report.nodeid] = "collection error"


def pytest_runtest_logreport(report):
    if report.passed and report.when != "call":
        return
    if report.skipped:
        outcome = "skipped"
    elif report.failed:
        outcome = "failed" if report.when == "call" else "error"
    else:
        outcome = "passed"
    verdicts.setdefault(report.nodeid, outcome)
    if verdicts[report.nodeid] == "passed" and outcome != "passed":
        verdicts[report.nodeid] = outcome


def pytest_sessionfinish(session):
    backend = "container" if runner(session.config) else "process"
    record = {"backend": backend, "rootdir": str(session.config.rootpath), "verdicts": verdicts}
    Path("verdicts-" + backend + ".json").write_text(json.dumps(record))
"""


def start_suite(pytester: pytest.Pytester, module: Path, *args: str) -> subprocess.Popen[str]:
    """A pytest run with ``--wasm module`` (the conformance suite), recording the verdict per node id."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "verdict_recorder", "-q"]
    return subprocess.Popen(
        [*command, "--wasm", str(module), *args],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def suite_verdicts(pytester: pytest.Pytester, run: subprocess.Popen[str], backend: str) -> dict[str, object]:
    output = run.communicate(timeout=600)[0]
    record = pytester.path / f"verdicts-{backend}.json"
    assert record.exists(), output[-5000:]
    result = json.loads(record.read_text())
    record.unlink()
    assert result["backend"] == backend  # the container run really used containers
    return result


def test_the_conformance_suite_gives_the_same_verdicts_in_a_container(
    pytester, envoy_image, example_module, clean_env
):
    pytester.makepyfile(verdict_recorder=VERDICT_RECORDER)
    in_container = ("--envoy-image", envoy_image)
    # both at once: the wall time is the slower run's, not the sum
    process_run = start_suite(pytester, example_module)
    container_run = start_suite(pytester, example_module, *in_container)
    first = suite_verdicts(pytester, process_run, "process")
    process = first["verdicts"]
    container = suite_verdicts(pytester, container_run, "container")["verdicts"]
    assert any("envoy/test_load.py" in node for node in process), f"no Envoy case ran: {process}"
    assert "passed" in process.values()
    assert container.keys() == process.keys()
    differing = sorted(node for node in process if process[node] != container[node])
    if differing:
        # a verdict that changes between two runs on one backend is a flaky case (two suites at once
        # load the machine), not a backend difference: run just those cases again, one run at a time
        nodes = [str(Path(first["rootdir"]) / node) for node in differing]
        process.update(
            suite_verdicts(pytester, start_suite(pytester, example_module, *nodes), "process")["verdicts"]
        )
        again = start_suite(pytester, example_module, *in_container, *nodes)
        container.update(suite_verdicts(pytester, again, "container")["verdicts"])
    assert {n: container[n] for n in differing} == {n: process[n] for n in differing}


# probes whose verdicts go through every path the sandbox changes: a wedged worker found through the
# listener without the module, a held request, a callout to a cluster, a trap with the listener without
# the module still serving, a network filter's bytes and traps, a service's timer, a start that never ends
SANDBOX_PROBES = (
    "loop_on_request",
    "pause_request_headers",
    "callout_then_deny",
    "trap_on_request",
    "network_trap_on_data",
    "service_tick_trap",
    "loop_in_vm_start",
)


def test_probes_fail_exactly_their_declared_cases_in_a_container(envoy_image, tmp_path, clean_env):
    """tests/conformance/test_probes.py holds each probe to its expect-fail list on the process backend;
    the same list holding in a container means the same verdicts."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = list(
            pool.map(lambda probe: run_probe(probes_dir() / f"{probe}.wat", ("--envoy-image", envoy_image)),
                     SANDBOX_PROBES)
        )  # fmt: skip
    not_holding = [verdict.describe() for verdict in verdicts if not verdict.holds]
    assert not not_holding, not_holding


def test_wasm_bench_does_not_run_a_module_outside_the_sandbox(
    pytester, envoy_image, example_module, clean_env
):
    """The benchmark starts Envoy as a local process; under --envoy-image it says so and skips."""
    pytester.makepyfile("def test_cost(wasm_bench):\n    wasm_bench(rounds=1, duration=0.2)\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rs", "--envoy-image", envoy_image, "--wasm", str(example_module),
        "--wasm-no-conformance",
    )  # fmt: skip
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*wasm_bench: not measured under --envoy-image*outside the container sandbox*"]
    )


def test_the_containers_started_ahead_are_the_ones_the_cases_take(
    pytester, monkeypatch, envoy_image, example_module, clean_env, tmp_path
):
    """Each container runner names new upstream sockets: the Envoys started ahead and the cases' own
    must reach the same upstreams, or every case starts its Envoy again in the foreground."""
    timings = tmp_path / "timings"
    monkeypatch.setenv("WASMHUB_TIMINGS", str(timings))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "--envoy-image", envoy_image, "--wasm", str(example_module),
        "-k", "test_module_loads_and_serves or test_trap_stays_inside or test_both_fields",
    )  # fmt: skip
    outcomes = result.parseoutcomes()  # a selection is a partial run: exit code 1 by design
    assert outcomes.get("passed") and not outcomes.get("failed"), result.stdout.str()[-3000:]
    kinds = [line.split()[0] for line in timings.read_text().splitlines()]
    assert kinds.count("envoy_start_background") == 3 and "envoy_start" not in kinds, kinds
