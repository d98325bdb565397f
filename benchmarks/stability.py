"""Evidence that no verdict depends on timing luck: run the module cases on each probe N times in a row
and check every run gives exactly the probe's declared verdict (its ``expect-fail:`` line); also the
Envoy areas on the example module. Prints one line per probe and a total.

    python benchmarks/stability.py --runs 20 [--probes trap_on_tick,pause_request_headers]
        [--envoy-binary PATH] [--envoy-image IMAGE] [--jobs 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_wasmhub.probes import probes_dir  # noqa: E402
from pytest_wasmhub.selfcheck import run_probe  # noqa: E402

AREAS = ["conformance/envoy", "conformance/traffic", "conformance/isolation", "conformance/policy"]


def probe_runs(probe: Path, runs: int, extra: list[str]) -> tuple[str, int, float, list[str]]:
    held, slowest, problems = 0, 0.0, []
    for _ in range(runs):
        started = time.monotonic()
        verdict = run_probe(probe, extra)
        slowest = max(slowest, time.monotonic() - started)
        held += verdict.holds
        if not verdict.holds:
            problems.append(verdict.describe())
    return probe.stem, held, slowest, problems


def example_runs(runs: int, extra: list[str]) -> tuple[int, float]:
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--wasm",
        str(ROOT / "examples" / "add_header.wat"), "--wasm-no-conformance", *extra,
        *(str(ROOT / area) for area in AREAS),
    ]  # fmt: skip
    passed, slowest = 0, 0.0
    for _ in range(runs):
        started = time.monotonic()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        slowest = max(slowest, time.monotonic() - started)
        passed += result.returncode == 0
    return passed, slowest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--probes", default="all", help="comma-separated probe names, or all")
    parser.add_argument("--envoy-binary", default=None)
    parser.add_argument("--envoy-image", default=None)
    parser.add_argument("--jobs", type=int, default=2, help="probes checked at once")
    args = parser.parse_args()
    extra = []
    if args.envoy_binary:
        extra += ["--envoy-binary", args.envoy_binary]
    if args.envoy_image:
        extra += ["--envoy-image", args.envoy_image]
    names = None if args.probes == "all" else set(args.probes.split(","))
    probes = [p for p in sorted(probes_dir().glob("*.wat")) if names is None or p.stem in names]
    started = time.monotonic()
    all_held = True
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, held, slowest, problems in pool.map(lambda p: probe_runs(p, args.runs, extra), probes):
            all_held &= held == args.runs
            print(f"{name:28s} {held:2d}/{args.runs} runs as declared; slowest {slowest:5.1f} s", flush=True)
            for problem in dict.fromkeys(problems):
                print(f"    {problem}")
    passed, slowest = example_runs(args.runs, extra)
    all_held &= passed == args.runs
    print(f"{'example (all Envoy areas)':28s} {passed:2d}/{args.runs} runs passed; slowest {slowest:5.1f} s")
    print(f"{'all' if all_held else 'NOT all'} verdicts stable; {time.monotonic() - started:.0f} s in all")
    return 0 if all_held else 1


if __name__ == "__main__":
    sys.exit(main())
