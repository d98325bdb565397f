"""The physical floor of the in-process host's stream rate: exactly the export calls and host calls one
HTTP stream of a module needs, made in a bare loop through ``fastcall`` (no state machine, no trace,
no checks), so whatever the host adds on top is visible.

    python benchmarks/host_floor.py [--module examples/add_header.wat] [--streams 20000] [--instructions]

Per stream, as Envoy drives a module that exports them: ``proxy_on_context_create``, the request and
response header callbacks, ``proxy_on_done`` (``proxy_on_log`` / ``proxy_on_delete`` too when exported),
each after a fuel refill as the host does. Host calls are served by a function that only reads its
key and value from guest memory and appends them to a list (what ``proxy_add_header_map_value`` must
do at least); other imports return 0. Prints numbers only; nothing is asserted.

``--engine`` also runs the host itself on a module that exports no stream callback at all: no guest code
runs, so that figure is the stream engine's own cost (building the request and the result, the state
machine, the end of the stream), the other part of a stream's time next to the floor.
"""

from __future__ import annotations

import argparse
import ctypes
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import wasmtime

from pytest_wasmhub.host.fastcall import (
    ExportCaller,
    define_import,
    memory_address,
    memory_ref,
    memory_size,
    set_fuel,
    store_handle,
)
from pytest_wasmhub.host.vm import ENGINE, UNLIMITED_FUEL
from pytest_wasmhub.module import compile_wat

ROOT = Path(__file__).resolve().parents[1]
NO_CALLBACKS = """(module (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024)))"""
kept: list[object] = []  # the stores and memories whose handles are in use
CALLBACKS = ("proxy_on_context_create", "proxy_on_request_headers", "proxy_on_response_headers",
             "proxy_on_log", "proxy_on_done", "proxy_on_delete")  # fmt: skip


def build(path: Path) -> tuple[int, dict[str, ExportCaller], list[bytes]]:
    data = compile_wat(path) if path.suffix == ".wat" else path.read_bytes()
    module = wasmtime.Module(ENGINE, data)
    store = wasmtime.Store(ENGINE)
    store.set_fuel(UNLIMITED_FUEL)
    linker = wasmtime.Linker(ENGINE)
    added: list[bytes] = []
    memory: list[object] = []
    mapped = [-1, 0]  # linear memory's size and address when last looked at

    def add_header(handle: int, _map: int, key: int, key_size: int, value: int, size: int) -> int:
        if memory_size(handle, memory[0]) != mapped[0]:  # moved or grew (as the host checks)
            mapped[:] = [memory_size(handle, memory[0]), memory_address(handle, memory[0])]
        base = mapped[1]
        added.append(ctypes.string_at(base + key, key_size))
        added.append(ctypes.string_at(base + value, size))
        return 0

    for imp in module.imports:
        assert isinstance(imp.type, wasmtime.FuncType), "the floor covers function imports only"
        function = add_header if imp.name == "proxy_add_header_map_value" else (lambda caller, *args: 0)
        define_import(linker, imp.module, imp.name, imp.type, function)
    instance = linker.instantiate(store, module)
    exports = instance.exports(store)
    found = next(e for e in (exports[x.name] for x in module.exports) if isinstance(e, wasmtime.Memory))
    kept.append(found)
    memory.append(memory_ref(found))
    callers = {
        x.name: ExportCaller(exports[x.name], x.type)
        for x in module.exports
        if isinstance(x.type, wasmtime.FuncType)
    }
    kept.append(store)
    return store_handle(store), callers, added


def run(path: Path, streams: int) -> float:
    store, callers, added = build(path)
    for name in ("proxy_on_vm_start", "proxy_on_configure"):
        if name in callers:
            callers[name].call(store, 1, 0)
    exported = [(name, callers[name].call) for name in CALLBACKS if name in callers]
    arguments = {"proxy_on_context_create": (2, 1), "proxy_on_request_headers": (2, 6, 1),
                 "proxy_on_response_headers": (2, 3, 0)}  # fmt: skip
    plan = [(call, arguments.get(name, (2,))) for name, call in exported]
    started = time.perf_counter()
    for _ in range(streams):
        for call, args in plan:
            set_fuel(store, UNLIMITED_FUEL)
            call(store, *args)
        added.clear()
    return streams / (time.perf_counter() - started)


def instructions(path: Path, streams: int = 5000) -> int:
    def count(n: int) -> int:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
             "--module", str(path), "--streams", str(n), "--quiet"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(re.search(r"Collected : (\d+)", done.stderr)[1])

    return (count(streams + 100) - count(100)) // streams


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default=str(ROOT / "examples" / "add_header.wat"))
    parser.add_argument("--streams", type=int, default=20000)
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    parser.add_argument("--engine", action="store_true", help="also the host on a module with no callbacks")
    parser.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)  # the callgrind child
    args = parser.parse_args()
    rate = run(Path(args.module), args.streams)
    if args.quiet:
        return 0
    print(f"floor (bare fastcall loop): {rate:10.0f} stream lifecycles/s ({1e6 / rate:.1f} us each)")
    if args.instructions:
        print(f"floor: {instructions(Path(args.module)):10d} instructions per stream lifecycle (callgrind)")
    if args.engine:
        import host_streams  # next to this script

        with tempfile.TemporaryDirectory() as workdir:
            empty = Path(workdir) / "no_callbacks.wat"
            empty.write_text(NO_CALLBACKS)
            engine = host_streams.host_rate(empty, args.streams, trace=False)
            print(
                f"host, no callbacks exported:  {engine:10.0f} stream lifecycles/s ({1e6 / engine:.1f} us each)"
            )
            if args.instructions:
                count = host_streams.host_instructions(empty, trace=False)
                print(
                    f"host, no callbacks exported: {count:10d} instructions per stream lifecycle (callgrind)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
