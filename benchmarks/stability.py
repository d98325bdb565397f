"""Run the Envoy conformance areas (load, traffic, isolation, failure policies) N times in a row on one
module and print how many runs passed, and the slowest run: evidence that no case depends on timing luck.

    python benchmarks/stability.py --runs 20 [--module examples/add_header.wat] [--envoy-binary PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AREAS = ["conformance/envoy", "conformance/traffic", "conformance/isolation", "conformance/policy"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--module", default=str(ROOT / "examples" / "add_header.wat"))
    parser.add_argument("--envoy-binary", default=None)
    args = parser.parse_args()
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--wasm",
        args.module,
        "--wasm-no-conformance",
        *(f"{ROOT / area}" for area in AREAS),
    ]
    if args.envoy_binary:
        command += ["--envoy-binary", args.envoy_binary]
    passed, durations = 0, []
    for run in range(1, args.runs + 1):
        started = time.monotonic()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        durations.append(time.monotonic() - started)
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "no output"
        passed += result.returncode == 0
        print(f"run {run:2d}: exit {result.returncode}  {durations[-1]:5.1f} s  {summary}", flush=True)
        if result.returncode != 0:
            failures = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
            print("\n".join(failures or result.stderr.strip().splitlines()[-5:]))
    print(
        f"{passed}/{args.runs} runs passed; slowest {max(durations):.1f} s, median "
        f"{sorted(durations)[len(durations) // 2]:.1f} s"
    )
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
