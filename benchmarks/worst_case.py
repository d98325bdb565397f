"""The longest a default run can take: ``pytest --wasm PROBE`` with every default (request timeout
10 s, ready timeout 30 s), once per probe module, in an empty directory. Prints each probe's wall time,
slowest first, and the worst; the goal is at most 60 s whatever the module does.

    python benchmarks/worst_case.py [--probes a,b] [--envoy-binary PATH] [--limit 60]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_wasmhub.probes import probes_dir  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", default="all", help="comma-separated probe names, or all")
    parser.add_argument("--envoy-binary", default=None)
    parser.add_argument("--limit", type=float, default=60.0)
    args = parser.parse_args()
    names = None if args.probes == "all" else set(args.probes.split(","))
    timings = []
    for probe in sorted(probes_dir().glob("*.wat")):
        if names is not None and probe.stem not in names:
            continue
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--wasm", str(probe)]
        if args.envoy_binary:
            command += ["--envoy-binary", args.envoy_binary]
        with tempfile.TemporaryDirectory(prefix="wasmhub-worst-") as workdir:
            started = time.monotonic()
            result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
            elapsed = time.monotonic() - started
        last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "no output"
        timings.append((elapsed, probe.stem, result.returncode, last))
        print(f"{probe.stem:28s} {elapsed:6.1f} s  exit {result.returncode}  {last}", flush=True)
    timings.sort(reverse=True)
    worst = timings[0] if timings else (0.0, "none", 0, "")
    print(
        f"worst default run: {worst[1]} {worst[0]:.1f} s (limit {args.limit:g} s): "
        f"{'within' if worst[0] <= args.limit else 'OVER'} the limit"
    )
    return 0 if worst[0] <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
