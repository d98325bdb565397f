"""Throughput of ``wasmhub scan`` on a catalogue of 20 modules, and its overhead over running the suites by hand.

    python benchmarks/scan_catalogue.py [--modules 20] [--envoy-version 1.40.0] [--jobs 1,2]

The catalogue is the suite's own probe modules and the examples (the first N, sorted by name). Each
figure is one fresh scan into an empty directory: modules per minute for each ``--jobs``; then the same
modules run one after another as ``python -m pytest --wasm M --envoy-version V --wasm-report R``, the
way a person would by hand. The overhead is the ``--jobs 1`` scan's time over the by-hand time (the
scan's own work: reading each module for its digest, records, process groups, polling).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted((ROOT / "conformance" / "probes").glob("*.wat")) + sorted((ROOT / "examples").glob("*.wat"))
ROOT_IDS = {"add_header.wat": "add_header"}


def catalogue(count: int) -> list[Path]:
    if len(MODULES) < count:
        raise SystemExit(f"only {len(MODULES)} modules available, asked for {count}")
    # both examples first: they are real filters, the probes are built to fail cases
    examples = [m for m in MODULES if m.parent.name == "examples"]
    return examples + [m for m in MODULES if m not in examples][: count - len(examples)]


def entry(module: Path) -> dict[str, object]:
    settings = {"wasm-root-id": ROOT_IDS[module.name]} if module.name in ROOT_IDS else {}
    return {"module": str(module), "name": module.stem, "settings": settings}


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("WASMHUB_", "PYTEST_"))}


def scan(manifest: Path, out: Path, jobs: int) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_wasmhub.cli",
            "scan",
            str(manifest),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"scan --jobs {jobs} failed: {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout.strip().splitlines()[-1]


def by_hand(modules: list[Path], version: str, work: Path) -> float:
    started = time.monotonic()
    for module in modules:
        run_dir = work / module.stem
        run_dir.mkdir()
        root = [f"--wasm-root-id={ROOT_IDS[module.name]}"] if module.name in ROOT_IDS else []
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-c",
                os.devnull,
                "--rootdir",
                str(run_dir),
                "-q",
                f"--wasm={module}",
                f"--envoy-version={version}",
                f"--wasm-report={run_dir / 'report.json'}",
                *root,
            ],
            cwd=run_dir,
            capture_output=True,
            env=clean_env(),
        )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--envoy-version", default="1.40.0")
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to measure")
    args = parser.parse_args()
    modules = catalogue(args.modules)
    print(f"catalogue: {len(modules)} modules on Envoy {args.envoy_version}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="wasmhub-bench-scan-") as tmp:
        work = Path(tmp)
        manifest = work / "catalogue.json"
        manifest.write_text(
            json.dumps({"envoy_versions": [args.envoy_version], "entries": [entry(m) for m in modules]})
        )
        times: dict[int, float] = {}
        for jobs in [int(j) for j in args.jobs.split(",")]:
            elapsed, summary = scan(manifest, work / f"out-{jobs}", jobs)
            times[jobs] = elapsed
            rate = len(modules) / elapsed * 60
            print(f"scan --jobs {jobs}: {elapsed:6.1f} s, {rate:5.1f} modules/min ({summary})")
        hand_dir = work / "by-hand"
        hand_dir.mkdir()
        hand = by_hand(modules, args.envoy_version, hand_dir)
        print(f"by hand, one after another: {hand:6.1f} s, {len(modules) / hand * 60:5.1f} modules/min")
        if 1 in times:
            overhead = times[1] - hand
            print(
                f"scan overhead (--jobs 1 vs by hand): {overhead:+.1f} s, "
                f"{overhead / hand * 100:+.1f} %, {overhead / len(modules):+.2f} s per module"
            )


if __name__ == "__main__":
    main()
