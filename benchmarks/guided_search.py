"""The guided search's figures: host streams per second it reaches, and how long until it finds each
trigger probe's secret header (HOSTILE-GUIDED-*), in the in-process host alone (no Envoy).

    python3 benchmarks/guided_search.py                       # every guided probe and the example
    python3 benchmarks/guided_search.py --budget 2 --seeds 3  # longer searches, three seeds each

For each module: the streams per second over a search that finds nothing (the example, the
never-trapping probe), and for each trigger probe the seconds until the first failing request (the
search stops there, before shrinking) and the whole search with shrinking, and the minimal request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_wasmhub.guided import learn  # noqa: E402
from pytest_wasmhub.guided.search import search  # noqa: E402
from pytest_wasmhub.host.checks import conformance_host  # noqa: E402
from pytest_wasmhub.module import load_module  # noqa: E402

PROBES = ROOT / "conformance" / "probes"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per search (default 1.0)")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per module (default 2)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wasmhub-guided-bench-"))
    modules = [ROOT / "examples" / "add_header.wat", *sorted(PROBES.glob("guided_*.wat"))]
    print(f"guided search, budget {args.budget:g} s, seeds 0..{args.seeds - 1}")
    print(f"{'module':40} {'streams/s':>10} {'first hit s':>12} {'search s':>9}  minimal request")
    for path in modules:
        module = load_module(path, work)

        def make_host(module=module, **options):
            return conformance_host(module, **options)

        host = make_host()
        vocabulary, _ = learn(host)
        host.close()
        rates, hits, totals, minimal = [], [], [], ""
        for seed in range(args.seeds):
            result = search(make_host, vocabulary, args.budget, seed)
            totals.append(result.elapsed)
            if result.findings:
                finding = next(iter(result.findings.values()))
                minimal = f"{finding.kind}: {finding.request.describe()}"
                if result.first_found_after is not None:
                    hits.append(result.first_found_after)
            else:
                rates.append(result.streams_per_second)
        rate = f"{statistics.median(rates):10.0f}" if rates else f"{'-':>10}"
        hit = f"{statistics.median(hits):12.3f}" if hits else f"{'-':>12}"
        print(f"{path.stem:40} {rate} {hit} {statistics.median(totals):9.2f}  {minimal or 'nothing found'}")


if __name__ == "__main__":
    main()
