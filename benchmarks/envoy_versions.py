"""What the Envoy version matrix costs: downloading a release, probing it for Wasm, loading a module.

Run:  python benchmarks/envoy_versions.py [--versions 1.36.2,1.37.0] [--cache DIR]
Without --cache the releases are downloaded afresh into a temporary directory (the real first-time
cost; about 30 MB each); with --cache an existing cache is used (the cost of every later run).
Prints, per release, the install time, the size of the binary, the Wasm probe time and whether the
build can run Wasm, and the time to load examples/add_header.wat once.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pytest_wasmhub.envoy.probe import probe_load
from pytest_wasmhub.envoy.versions import install_envoy, parse_versions, probe_wasm_support
from pytest_wasmhub.module import load_module

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "add_header.wat"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", default="1.36.2,1.37.0", help="comma-separated Envoy releases")
    parser.add_argument("--cache", help="an existing cache directory (default: a fresh temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wasmhub-bench-") as scratch:
        cache = Path(args.cache).expanduser() if args.cache else Path(scratch) / "cache"
        module = load_module(EXAMPLE, Path(scratch))
        print(f"cache: {cache} ({'existing' if args.cache else 'fresh: first-time downloads'})")
        print(f"{'release':10} {'install s':>9} {'MB':>6} {'probe s':>8} {'wasm':>5} {'load s':>7}")
        for version in parse_versions(args.versions):
            began = time.perf_counter()
            binary = install_envoy(version, cache)
            installed = time.perf_counter() - began
            began = time.perf_counter()
            support = probe_wasm_support(binary, Path(scratch))
            probed = time.perf_counter() - began
            loaded = "-"
            if support.supported:
                began = time.perf_counter()
                result = probe_load(module.path, binary=binary, workdir=Path(scratch))
                loaded = f"{time.perf_counter() - began:.2f}" + ("" if result.loaded else " (refused)")
            size = binary.stat().st_size / 1e6
            print(
                f"{version:10} {installed:9.2f} {size:6.1f} {probed:8.2f} {support.supported!s:>5} {loaded:>7}"
            )


if __name__ == "__main__":
    main()
