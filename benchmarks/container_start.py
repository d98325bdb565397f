"""Start-to-ready time of Envoy with one Wasm filter: local process vs hardened container.

Run:  python benchmarks/container_start.py [--runs N] [--image TAG]
Prints, per backend, the time ``runner.start()`` takes (until admin /ready says LIVE and the listeners
are known) and the time ``stop()`` takes (for the container: stop and removal), and the image build time
(a fresh build only with --rebuild).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pytest_wasmhub.envoy import EnvoySpec, ProcessRunner, resolve_envoy_binary
from pytest_wasmhub.envoy.container import ContainerRunner
from pytest_wasmhub.envoy.image import build_envoy_image
from pytest_wasmhub.module import load_module
from pytest_wasmhub.upstream import Upstream

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "add_header.wat"


def measure(runner: object, spec: EnvoySpec, workdir: Path, runs: int) -> tuple[list[float], list[float]]:
    starts, stops = [], []
    for _ in range(runs):
        began = time.perf_counter()
        envoy = runner.start(spec, workdir)  # type: ignore[attr-defined]
        ready = time.perf_counter()
        assert envoy.http.get("/").status_code == 200
        stopping = time.perf_counter()
        envoy.stop()
        stops.append(time.perf_counter() - stopping)
        starts.append(ready - began)
    return starts, stops


def summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"median {statistics.median(ms):7.1f} ms   min {ms[0]:7.1f}   max {ms[-1]:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--image", help="container image (default: build or reuse wasmhub/envoy:VERSION)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the image to time the build")
    args = parser.parse_args()

    image = args.image
    if image is None:
        built = build_envoy_image(rebuild=args.rebuild)
        how = f"built in {built.seconds:.2f} s, context {built.context_bytes / 1e6:.0f} MB"
        print(f"image {built.tag}: {how if built.built else f'reused ({built.seconds * 1000:.1f} ms)'}")
        image = built.tag
    with tempfile.TemporaryDirectory() as tmp, Upstream() as upstream:
        workdir = Path(tmp)
        module = load_module(EXAMPLE, workdir)
        spec = EnvoySpec.for_module(module.path, upstream=upstream.address)
        runners = {
            "process": ProcessRunner(resolve_envoy_binary(None)),
            "container": ContainerRunner(image, session=f"benchmark-{time.time_ns()}"),
        }
        runners["container"].start(spec, workdir).stop()  # first start: checks Docker, removes leftovers
        print(f"{args.runs} runs each, Envoy with one Wasm filter (examples/add_header.wat), concurrency 1")
        for name, runner in runners.items():
            starts, stops = measure(runner, spec, workdir, args.runs)
            print(f"{name:9}  start-to-ready  {summary(starts)}")
            print(f"{name:9}  stop            {summary(stops)}")


if __name__ == "__main__":
    main()
