"""How stable `wasmhub bench` is: the example module and the deliberately slow one, benchmarked again
and again, with the median of each figure over the repeats and its spread.

Run:  python benchmarks/module_cost.py [--repeats 5] [--protocol h1|h2|both] [-- extra bench options]
Each repeat is one whole `wasmhub bench` (its own Envoys, warm-up and rounds). Per module and protocol
it prints the throughput ratio (with / without the module), the module's cost in Envoy worker time per
request, and the p50 request time with the module; then, over the repeats, the median, the lowest and
highest value, and the spread (highest - lowest) / median.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
MODULES = {"example": ROOT / "examples" / "add_header.wat", "slow": ROOT / "examples" / "slow_headers.wat"}
FIGURES = {
    "rps ratio": lambda p: p["rps_ratio"],
    "cost us/req": lambda p: p["cost_us_per_request"],
    "p50 with (ms)": lambda p: p["with_module"]["p50_us"] / 1000,
    "req/s without": lambda p: p["without_module"]["requests_per_second"],
}


def bench(module: Path, protocol: str, extra: list[str], scratch: Path) -> dict:
    output = scratch / f"{module.stem}-{time.monotonic_ns()}.json"
    command = [sys.executable, "-m", "pytest_wasmhub.cli", "bench", str(module), "--protocol", protocol]
    command += ["--quiet", "--json", str(output), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return json.loads(output.read_text())


def summary(values: list[float]) -> str:
    middle = median(values)
    spread = (max(values) - min(values)) / abs(middle) if middle else float("nan")
    return f"median {middle:10.3f}   range {min(values):10.3f} .. {max(values):10.3f}   spread {spread:6.1%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--protocol", choices=("h1", "h2", "both"), default="both")
    parser.add_argument("extra", nargs="*", help="more `wasmhub bench` options, after --")
    args = parser.parse_args()
    results: dict[str, list[dict]] = {name: [] for name in MODULES}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wasmhub-module-cost-") as scratch:
        for repeat in range(1, args.repeats + 1):
            for name, module in MODULES.items():  # alternate the modules: drift meets both
                result = bench(module, args.protocol, args.extra, Path(scratch))
                results[name].append(result)
                ratios = ", ".join(
                    f"{p}: ratio {r['rps_ratio']:.3f}, cost {r['cost_us_per_request']:,.1f} us"
                    for p, r in result["protocols"].items()
                )
                print(f"repeat {repeat}/{args.repeats} {name:<8} {ratios}", flush=True)
    options = results["example"][0]["options"]
    print(
        f"\n{args.repeats} repeats of `wasmhub bench` ({options['rounds']} rounds x "
        f"{options['duration'] or options['requests']} per side, {options['connections']} connections), "
        f"{time.monotonic() - started:.0f} s in all"
    )
    for protocol in results["example"][0]["protocols"]:
        for name, runs in results.items():
            print(f"\n{name} module, {runs[0]['protocols'][protocol]['protocol']}")
            for figure, pick in FIGURES.items():
                print(f"  {figure:<14} {summary([pick(run['protocols'][protocol]) for run in runs])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
