"""How long the full conformance run on the example module takes, where the time goes, and its floor.

    python benchmarks/conformance_run.py [--module examples/add_header.wat] [--runs 3] [--envoy-image TAG]

The floor is what the run cannot avoid: the Envoy starts it makes (with Envoy reuse, each one is a new
configuration or replaces an Envoy a case poisoned) times the measured median start-to-ready time, plus
the time its requests took, plus the waits Envoy imposes (the FAIL_RELOAD backoff). Everything else is
the suite's own overhead (Python and pytest start-up, collection, checks, reports).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_wasmhub.envoy import EnvoySpec, ProcessRunner, resolve_envoy_binary  # noqa: E402
from pytest_wasmhub.module import load_module  # noqa: E402
from pytest_wasmhub.traffic import send  # noqa: E402
from pytest_wasmhub.upstream import Upstream  # noqa: E402


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


def full_run(module: str, extra: list[str]) -> tuple[float, dict[str, list[float]], str]:
    # an empty directory: only the shared suite is collected, as for an author with no tests of their own
    with (
        tempfile.TemporaryDirectory() as empty,
        tempfile.NamedTemporaryFile("r", suffix=".timings") as timings,
    ):
        env = {**os.environ, "WASMHUB_TIMINGS": timings.name}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--wasm", module, *extra]
        started = time.perf_counter()
        result = subprocess.run(command, cwd=empty, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        spent: dict[str, list[float]] = defaultdict(list)
        for line in Path(timings.name).read_text().splitlines():
            kind, seconds = line.split()
            spent[kind].append(float(seconds))
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-500:]
    return wall, spent, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default=str(ROOT / "examples" / "add_header.wat"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--envoy-image", help="also run the container backend with this image")
    args = parser.parse_args()

    backends = [("process", [], None)]
    if args.envoy_image:
        backends.append(("container", ["--envoy-image", args.envoy_image], args.envoy_image))
    for backend, extra, image in backends:
        with tempfile.TemporaryDirectory() as work:
            module = load_module(args.module, Path(work))
            envoy = measure_envoy(module.path, starts=10, requests=200, image=image)
        print(
            f"Envoy ({backend}): start-to-ready {envoy['start_s'] * 1000:.0f} ms (median of 10), "
            f"RSS at ready {envoy['rss_mb']:.1f} MB, GET through the module {envoy['request_s'] * 1000:.2f} ms "
            "(median of 200)"
        )
        for run in range(1, args.runs + 1):
            wall, spent, summary = full_run(args.module, extra)
            starts, requests, waits = spent["envoy_start"], spent["request"], spent["wait"]
            floor = len(starts) * envoy["start_s"] + sum(requests) + sum(waits)
            overhead = wall - sum(starts) - sum(requests) - sum(waits)
            print(
                f"[{backend} run {run}] {summary}\n"
                f"  wall {wall:6.2f} s = Envoy starts {sum(starts):5.2f} s ({len(starts)} starts) "
                f"+ requests {sum(requests):5.2f} s ({len(requests)}) + Envoy waits {sum(waits):4.2f} s "
                f"+ suite overhead {overhead:5.2f} s\n"
                f"  floor {floor:6.2f} s = {len(starts)} starts x {envoy['start_s'] * 1000:.0f} ms "
                f"+ requests + waits;  wall / floor = {wall / floor:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
