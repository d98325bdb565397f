"""The boundary calls themselves: values in and out of host functions and exports, as wasm types them."""

from __future__ import annotations

import wasmtime

from pytest_wasmhub.host.fastcall import ExportCaller, define_import
from pytest_wasmhub.host.vm import ENGINE, UNLIMITED_FUEL

MODULE = """(module
  (import "env" "mixed" (func $mixed (param i32 i64 i32) (result i64)))
  (import "env" "small" (func $small (param i32) (result i32)))
  (func (export "run") (param $a i32) (param $b i64) (result i64)
    (call $mixed (local.get $a) (local.get $b) (i32.const -2)))
  (func (export "run_small") (param $a i32) (result i32) (call $small (local.get $a))))"""


def test_i32_arrive_unsigned_i64_signed_and_results_are_cut_to_their_type():
    seen = []

    def mixed(_handle, a, b, c):
        seen.append((a, b, c))
        return -(1 << 40)

    def small(_handle, a):
        seen.append((a,))
        return (1 << 32) + 7  # the guest reads the low half

    store = wasmtime.Store(ENGINE)
    store.set_fuel(UNLIMITED_FUEL)
    linker = wasmtime.Linker(ENGINE)
    module = wasmtime.Module(ENGINE, wasmtime.wat2wasm(MODULE))
    for imp in module.imports:
        define_import(linker, imp.module, imp.name, imp.type, mixed if imp.name == "mixed" else small, store)
    exports = linker.instantiate(store, module).exports(store)
    run = ExportCaller(exports["run"], exports["run"].type(store), store)
    run_small = ExportCaller(exports["run_small"], exports["run_small"].type(store), store)
    assert run.call_in_store((-1, -5)) == -(1 << 40)
    assert run_small.call_in_store((3,)) == 7
    assert seen == [((1 << 32) - 1, -5, (1 << 32) - 2), (3,)]
