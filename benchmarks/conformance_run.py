"""How long the full conformance run on the example module takes, where the time goes, and its floor.

    python benchmarks/conformance_run.py [--module examples/add_header.wat] [--runs 3]
        [--envoy-version 1.36.2,1.40.0] [--envoy-image TAG] [--all-plugins] [--search-budget S]

Per run it prints the wall time, the Envoy starts and the time the run waited for them (the suite
starts the shared Envoys ahead, in the background: their start-up counts only as far as a case still
waited for it), the requests and their time,
the waits the suite made (the FAIL_RELOAD back-off, which the suite chooses), and the rest: the
suite's own overhead (Python and pytest start-up, collection, checks, reports, teardown).

The floor is what a run cannot avoid: pytest's own start and end (``pytest`` in an empty directory
with the other plugins an author's environment loads, measured), one start for each Envoy configuration
the run asks for (the truly needed starts) times the measured median start-to-ready time, plus the time
its requests took. Waits count as overhead: the only one, the reload back-off, is the suite's choice.
For scale it also prints a bare pytest (no plugins at all) and what importing the plugin costs.

Each series starts with a run that is not shown (it compiles the suite's modules once, as an author's
first run does, and fetches Envoy releases). The runs load the pytest plugins an author's environment
has from installing pytest-wasmhub: its own and those of the distributions its required dependencies
bring (read from their metadata: anyio's, which httpx brings, and hypothesis's, whose terminal summary
imports hypothesis even when no case used it); ``--all-plugins`` loads every installed one instead.
With ``--envoy-version`` and ``--envoy-image`` the same run is also made over those releases, and in
containers, and compared with the plain run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_wasmhub.envoy import EnvoySpec, ProcessRunner, resolve_envoy_binary  # noqa: E402
from pytest_wasmhub.module import load_module  # noqa: E402
from pytest_wasmhub.traffic import send  # noqa: E402
from pytest_wasmhub.upstream import Upstream  # noqa: E402

OWN_PLUGIN = "pytest_wasmhub.plugin"


def author_plugins() -> list[str]:
    """The pytest plugins (``pytest11`` entry points) of pytest-wasmhub and of every distribution its
    required dependencies bring, extras they ask for included: what ``pip install pytest-wasmhub``
    gives an author."""
    seen: set[str] = set()
    wanted: list[tuple[str, frozenset[str]]] = [("pytest-wasmhub", frozenset())]
    plugins: set[str] = set()
    while wanted:
        name, extras = wanted.pop()
        key = f"{canonicalize_name(name)}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        plugins.update(point.value for point in dist.entry_points if point.group == "pytest11")
        for text in dist.requires or ():
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in ("", *extras)):
                wanted.append((requirement.name, frozenset(requirement.extras)))
    return sorted(plugins)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_envoy(
    module_path: Path, starts: int, requests: int, image: str | None = None
) -> dict[str, float]:
    """Median start-to-ready, resident memory at ready, and median request time through the module."""
    if image:
        from pytest_wasmhub.envoy.container import ContainerRunner

        runner = ContainerRunner(image)
    else:
        runner = ProcessRunner(resolve_envoy_binary())
    ready, memory, request_times = [], [], []
    with Upstream() as upstream, tempfile.TemporaryDirectory() as work:
        spec = EnvoySpec.for_module(module_path, upstream=upstream.address)
        for _ in range(starts):
            started = time.perf_counter()
            envoy = runner.start(spec, Path(work))
            ready.append(time.perf_counter() - started)
            memory.append(rss_mb(envoy.pid) if hasattr(envoy, "pid") else float("nan"))
            envoy.stop()
        with runner.start(spec, Path(work)) as envoy:
            for i in range(requests):
                started = time.perf_counter()
                send(envoy, "GET", f"/bench/{i}", timeout=10)
                request_times.append(time.perf_counter() - started)
    return {
        "start_s": statistics.median(ready),
        "rss_mb": statistics.median(memory),
        "request_s": statistics.median(request_times),
    }


@dataclass
class Run:
    wall: float
    starts: list[float]  # start-ups the run waited through
    ahead: list[float]  # start-ups done in the background, ahead of the case that takes the Envoy
    ahead_waits: list[float]  # what of those the cases still waited for
    configs: int  # Envoy configurations the run asked for: the starts it truly needs
    requests: list[float]
    waits: list[float]
    summary: str
    cpu: float  # user + system seconds of pytest and its Envoys: steadier than wall on a shared machine
    before_cases: float  # from the launch to the end of collection: Python, pytest, the plugin, collection
    after_cases: float  # from the end of the last case to the process's exit: reports, teardown, exit
    in_process_cases: list[float]  # the cases that need no Envoy, whole (pytest's machinery included)
    envoy_cases: list[float]  # the cases that run Envoy, whole

    @property
    def overhead(self) -> float:
        return self.wall - sum(self.starts) - sum(self.ahead_waits) - sum(self.requests)

    def floor(self, start_s: float, pytest_alone_s: float | None = None) -> float:
        alone = PYTEST_ALONE_S if pytest_alone_s is None else pytest_alone_s
        return alone + self.configs * start_s + sum(self.requests)


PYTEST_ALONE_S = 0.0  # measured in main(): pytest with the other plugins of the runs
BARE_PYTEST_S = 0.0  # measured in main(): pytest with no plugin at all


def pytest_alone(all_plugins: bool) -> tuple[float, float, float]:
    """Median walls of pytest in an empty directory with the other plugins of the runs (the floor's
    "pytest alone"), and with no plugin at all; and what importing this plugin adds to importing pytest."""
    others = [name for name in author_plugins() if name != OWN_PLUGIN]
    _, plugin_env = plugin_arguments(all_plugins)

    def timed(command: list[str], cwd: str, env: dict[str, str]) -> float:
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, env={**authors_environment(), **env})
        return time.perf_counter() - started

    def median_of_5(command: list[str], env: dict[str, str]) -> float:
        return statistics.median(timed(command, empty, env) for _ in range(5))

    bare = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    pytest_in_empty = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    loads = [f"-p{name}" for name in others] if not all_plugins else ["-p", "no:wasmhub"]
    with tempfile.TemporaryDirectory() as empty:
        alone = median_of_5([*pytest_in_empty, *loads], plugin_env if not all_plugins else {})
        no_plugins = median_of_5(pytest_in_empty, bare)
        just_pytest = median_of_5([sys.executable, "-c", "import pytest"], bare)
        plugin = median_of_5([sys.executable, "-c", f"import pytest, {OWN_PLUGIN}"], bare)
    return alone, no_plugins, plugin - just_pytest


def authors_environment() -> dict[str, str]:
    """This process's environment as an author's Python has it: it keeps compiled modules (this
    machine's environment says not to, and a plugin's modules then compile at every run)."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def plugin_arguments(all_plugins: bool) -> tuple[list[str], dict[str, str]]:
    if all_plugins:
        return [], {}
    return [f"-p{name}" for name in author_plugins()], {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def full_run(module: str, extra: list[str], all_plugins: bool) -> Run:
    # an empty directory: only the shared suite is collected, as for an author with no tests of their own
    plugins, plugin_env = plugin_arguments(all_plugins)
    with (
        tempfile.TemporaryDirectory() as empty,
        tempfile.NamedTemporaryFile("r", suffix=".timings") as timings,
    ):
        env = {**authors_environment(), **plugin_env, "WASMHUB_TIMINGS": timings.name}
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins, "--wasm", module, *extra
        ]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started, launched_at = time.perf_counter(), time.time()
        result = subprocess.run(command, cwd=empty, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        spent: dict[str, list[float]] = defaultdict(list)
        configs: set[str] = set()
        for line in Path(timings.name).read_text().splitlines():
            kind, seconds, *label = line.split()
            spent[kind].append(float(seconds))
            if kind == "envoy_config":
                configs.update(label)
            if kind == "case":
                spent[f"case_{label[0]}"].append(float(seconds))
    out = result.stdout.strip().splitlines()
    summary = out[-1] if out else result.stderr[-500:]
    return Run(
        wall,
        spent["envoy_start"],
        spent["envoy_start_background"],
        spent["envoy_start_wait"],
        len(configs),
        spent["request"],
        spent["wait"],
        summary,
        cpu,
        before_cases=max(spent["clock_at_collected"], default=launched_at) - launched_at,
        after_cases=wall - (max(spent["clock_at_cases_done"], default=launched_at) - launched_at),
        in_process_cases=spent["case_in_process"],
        envoy_cases=spent["case_envoy"],
    )


def show(label: str, run: Run, start_s: float) -> None:
    floor = run.floor(start_s)
    print(
        f"[{label}] {run.summary}\n"
        f"  wall {run.wall:5.2f} s = Envoy starts {sum(run.starts) + sum(run.ahead_waits):4.2f} s "
        f"({len(run.starts) + len(run.ahead)} starts; {len(run.ahead)} ahead, in the background: "
        f"{sum(run.ahead):4.2f} s, of which waited for {sum(run.ahead_waits):4.2f} s) "
        f"+ requests {sum(run.requests):4.2f} s ({len(run.requests)}) "
        f"+ suite overhead {run.overhead:4.2f} s (of which Envoy waits {sum(run.waits):4.2f} s)\n"
        f"  by phase: before the first case {run.before_cases:4.2f} s (Python, pytest, the plugin, "
        f"collection) + {len(run.in_process_cases)} cases without Envoy {sum(run.in_process_cases):4.2f} s "
        f"+ {len(run.envoy_cases)} cases with Envoy {sum(run.envoy_cases):4.2f} s (their requests, waits "
        f"and Envoy starts included) + after the last case {run.after_cases:4.2f} s\n"
        f"  floor {floor:5.2f} s = pytest alone {PYTEST_ALONE_S:4.2f} s + {run.configs} needed starts x "
        f"{start_s * 1000:.0f} ms + requests;  "
        f"wall / floor = {run.wall / floor:.2f} (with a bare pytest, {BARE_PYTEST_S:4.2f} s, in the floor "
        f"instead: {run.wall / run.floor(start_s, BARE_PYTEST_S):.2f});  CPU {run.cpu:4.2f} s (pytest and "
        "its Envoys)"
    )


def series(label: str, module: str, extra: list[str], runs: int, start_s: float, all_plugins: bool) -> float:
    full_run(module, extra, all_plugins)  # not shown: compiles the suite's modules, fetches releases
    walls = []
    for number in range(1, runs + 1):
        run = full_run(module, extra, all_plugins)
        show(f"{label} run {number}", run, start_s)
        walls.append(run.wall)
    median = statistics.median(walls)
    print(f"  {label}: median wall {median:.2f} s over {runs} runs; load average {load_average()}")
    return median


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default=str(ROOT / "examples" / "add_header.wat"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--envoy-version", help="also run over these releases, e.g. 1.36.2,1.40.0")
    parser.add_argument("--envoy-image", help="also run the container backend with this image")
    parser.add_argument("--all-plugins", action="store_true", help="load every installed pytest plugin")
    parser.add_argument(
        "--search-budget",
        help="--wasm-search-budget for every run (default: the suite's; 0 leaves the guided search out)",
    )
    args = parser.parse_args()
    search = ["--wasm-search-budget", args.search_budget] if args.search_budget is not None else []

    print(f"load average {load_average()}")
    global PYTEST_ALONE_S, BARE_PYTEST_S
    PYTEST_ALONE_S, BARE_PYTEST_S, plugin_import_s = pytest_alone(args.all_plugins)
    loaded = "every installed plugin" if args.all_plugins else ", ".join(author_plugins())
    print(
        f"plugins loaded: {loaded}\n"
        f"pytest alone (empty directory, the other plugins): {PYTEST_ALONE_S * 1000:.0f} ms; with no plugin "
        f"at all: {BARE_PYTEST_S * 1000:.0f} ms; importing this plugin on top of pytest: "
        f"{plugin_import_s * 1000:.0f} ms (medians of 5)"
    )
    with tempfile.TemporaryDirectory() as work:
        module_path = load_module(args.module, Path(work)).path
        envoy = measure_envoy(module_path, starts=10, requests=200)
    print(
        f"Envoy (process): start-to-ready {envoy['start_s'] * 1000:.0f} ms (median of 10), "
        f"RSS at ready {envoy['rss_mb']:.1f} MB, GET through the module {envoy['request_s'] * 1000:.2f} ms "
        "(median of 200)"
    )
    plain = series("process", args.module, search, args.runs, envoy["start_s"], args.all_plugins)
    if args.envoy_version:
        extra = ["--envoy-version", args.envoy_version, *search]
        matrix = series("matrix", args.module, extra, args.runs, envoy["start_s"], args.all_plugins)
        print(f"  matrix {args.envoy_version} / one release = {matrix / plain:.2f}")
    if args.envoy_image:
        with tempfile.TemporaryDirectory() as work:
            module_path = load_module(args.module, Path(work)).path
            boxed = measure_envoy(module_path, starts=5, requests=50, image=args.envoy_image)
        print(f"Envoy (container): start-to-ready {boxed['start_s'] * 1000:.0f} ms (median of 5)")
        extra = ["--envoy-image", args.envoy_image, *search]
        container = series("container", args.module, extra, args.runs, boxed["start_s"], args.all_plugins)
        print(f"  container / process = {container / plain:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
