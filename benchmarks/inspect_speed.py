"""How long ``wasmhub inspect`` takes on a large module: prints the figures, asserts nothing.

    python benchmarks/inspect_speed.py [--megabytes 10] [--repeat 5]

The module is generated: a proxy-wasm HTTP filter whose code section holds thousands of real functions
(arithmetic, locals, branches, memory accesses), so wasmtime's validator has real code to check.
"""

from __future__ import annotations

import argparse
import statistics
import time

import wasmtime

from pytest_wasmhub.abi.facts import _ENGINE
from pytest_wasmhub.abi.inspector import inspect_bytes
from pytest_wasmhub.wasm_binary import leb128, parse

I32, NO_RESULT = 0x7F, b""


def vector(items: list[bytes]) -> bytes:
    return leb128(len(items)) + b"".join(items)


def name(text: str) -> bytes:
    return leb128(len(text)) + text.encode()


def section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + leb128(len(payload)) + payload


def functype(params: int, results: int) -> bytes:
    return b"\x60" + vector([bytes([I32])] * params) + vector([bytes([I32])] * results)


def filler_body(seed: int, repeats: int) -> bytes:
    """(param i32 i32) (result i32): a loop of loads, stores and arithmetic over two locals."""
    block = (
        b"\x20\x00\x20\x01\x6a"  # local.get 0, local.get 1, i32.add
        b"\x41" + leb128(seed % 1000) + b"\x6c"  # i32.const, i32.mul
        b"\x21\x02"  # local.set 2
        b"\x20\x02\x41\x00\x4a\x04\x40"  # local.get 2, i32.const 0, i32.gt_s, if
        b"\x41\x00\x20\x02\x36\x02\x00"  # i32.const 0, local.get 2, i32.store align=2 offset=0
        b"\x0b"  # end
        b"\x20\x00\x41\x01\x6a\x21\x00"  # local.get 0, i32.const 1, i32.add, local.set 0
    )
    code = b"\x01\x01\x7f" + block * repeats + b"\x20\x02\x0b"  # one extra i32 local; return local 2
    return leb128(len(code)) + code


def large_module(target_bytes: int) -> bytes:
    types = [functype(0, 0), functype(1, 1), functype(2, 0), functype(2, 1), functype(3, 1), functype(3, 1)]
    imports = [name("env") + name("proxy_log") + b"\x00" + leb128(4)]  # (i32 i32 i32) -> i32
    exports = {
        "proxy_abi_version_0_2_1": 0,
        "proxy_on_memory_allocate": 1,
        "proxy_on_context_create": 2,
        "proxy_on_vm_start": 3,
        "proxy_on_configure": 3,
        "proxy_on_request_headers": 4,
    }
    fixed = {
        0: leb128(2) + b"\x00\x0b",
        1: leb128(4) + b"\x00\x41\x10\x0b",
        2: leb128(2) + b"\x00\x0b",
        3: leb128(4) + b"\x00\x41\x01\x0b",
        4: leb128(4) + b"\x00\x41\x00\x0b",
    }
    type_of = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4}
    bodies, function_types = [], []
    for index in sorted(fixed):
        function_types.append(type_of[index])
        bodies.append(fixed[index])
    size, seed = sum(map(len, bodies)), 0
    while size < target_bytes:
        body = filler_body(seed, repeats=20)
        bodies.append(body)
        function_types.append(3)
        size += len(body)
        seed += 1
    export_entries = [
        name(n) + b"\x00" + leb128(i + 1) for n, i in exports.items()
    ]  # +1: the import comes first
    export_entries.append(name("memory") + b"\x02" + leb128(0))
    return (
        b"\0asm\x01\0\0\0"
        + section(1, vector(types))
        + section(2, vector(imports))
        + section(3, vector([leb128(t) for t in function_types]))
        + section(5, vector([b"\x00" + leb128(2)]))
        + section(7, vector(export_entries))
        + section(10, vector(bodies))
    )


def timed(repeat: int, action) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = large_module(int(args.megabytes * 1_000_000))
    functions = len(parse(data).function_type_indices)
    inspection = inspect_bytes(data)
    assert inspection.facts.valid, inspection.facts.validation_error
    print(
        f"module: {len(data) / 1e6:.1f} MB, {functions} functions, verdict {inspection.verdict}, "
        f"{len(inspection.findings)} findings"
    )
    section_read = timed(args.repeat, lambda: parse(data))
    validation = timed(args.repeat, lambda: wasmtime.Module.validate(_ENGINE, data))
    total = timed(args.repeat, lambda: inspect_bytes(data))
    print(f"section reading (pure Python): {section_read * 1000:8.1f} ms")
    print(f"wasmtime validation:           {validation * 1000:8.1f} ms")
    print(f"whole inspection:              {total * 1000:8.1f} ms  (median of {args.repeat})")


if __name__ == "__main__":
    main()
