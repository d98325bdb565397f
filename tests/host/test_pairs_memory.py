"""Map serialization and guest memory access."""

from __future__ import annotations

import struct

import pytest

from pytest_wasmhub.host import ProxyWasmHost, pairs


def test_pairs_round_trip_keeps_order_empty_values_and_bytes():
    items = [(b"a", b""), (b":path", b"/x"), (b"b", b"\xff\x00v"), (b"a", b"2")]
    assert pairs.decode(pairs.encode(items)) == items


def test_pairs_layout_is_count_sizes_then_nul_terminated_data():
    data = pairs.encode([(b"k", b"vv")])
    assert data == struct.pack("<IIII", 1, 1, 2, 0)[:12] + b"k\0vv\0"


@pytest.mark.parametrize("empty", [b"", b"\0", pairs.encode([])])
def test_empty_maps(empty):
    assert pairs.decode(empty) == []


@pytest.mark.parametrize(
    "broken",
    [b"\x01\x00", struct.pack("<I", 5), struct.pack("<III", 1, 10, 0) + b"short\0", struct.pack("<I", 5000)],
)
def test_broken_maps_are_refused(broken):
    with pytest.raises(pairs.PairsFormatError):
        pairs.decode(broken)


def test_bad_guest_pointers_get_invalid_memory_access_not_a_trap(host_module):
    host = ProxyWasmHost(host_module("bad_pointers")).start()
    result = host.http_request()
    assert result.status == 200 and result.failure is None
    statuses = [(r.name, r.result_name) for r in host.trace.host_calls()]
    assert statuses == [
        ("proxy_log", "INVALID_MEMORY_ACCESS"),  # past the end of memory
        ("proxy_log", "INVALID_MEMORY_ACCESS"),  # straddles the end
        ("proxy_log", "BAD_ARGUMENT"),  # level 99
        ("proxy_get_header_map_value", "INVALID_MEMORY_ACCESS"),  # bad out-pointer
        ("proxy_get_header_map_value", "BAD_ARGUMENT"),  # map type 77
        ("proxy_grpc_cancel", "BAD_ARGUMENT"),  # an unknown token, as Envoy answers
        ("fd_tell", "NOSYS"),  # unimplemented
    ]


def test_unimplemented_calls_are_reported(host_module):
    host = ProxyWasmHost(host_module("bad_pointers")).start()
    host.http_request()
    assert [p.detail for p in host.problems_of("unimplemented")] == ["wasi_snapshot_preview1.fd_tell"]
    assert "unimplemented" in next(r for r in host.trace.since(0) if r.name == "fd_tell").notes


def test_host_memory_comes_from_the_guest_allocator(behaviours):
    host = ProxyWasmHost(behaviours).start()
    host.http_request(headers={"x-test": "c"})  # the callout's answer is copied into the module
    allocations = host.trace.callbacks("malloc")
    assert allocations and all(r.depth == 1 for r in allocations)  # called from inside host calls


GROW_THEN_ADD = """(module
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (local $page i32)
    ;; a header on the page the guest grows, then one past the end of memory: the host looks again
    (local.set $page (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))
    (i32.store8 (local.get $page) (i32.const 120))
    (i32.store8 (i32.add (local.get $page) (i32.const 1)) (i32.const 49))
    (drop (call $add (i32.const 0) (local.get $page) (i32.const 1) (i32.add (local.get $page) (i32.const 1))
                     (i32.const 1)))
    (drop (call $add (i32.const 0) (i32.add (local.get $page) (i32.const 65535)) (i32.const 2)
                     (local.get $page) (i32.const 1)))
    (i32.const 0)))"""


def test_memory_the_guest_grew_itself_is_reachable_and_its_end_still_checked(tmp_path):
    module = tmp_path / "grow_then_add.wat"
    module.write_text(GROW_THEN_ADD)
    host = ProxyWasmHost(module).start()
    host.http_request()  # memory looked at once, at its first size
    result = host.http_request()
    assert result.request_headers["x"] == "1"
    statuses = [r.result_name for r in result.calls if r.name == "proxy_add_header_map_value"]
    assert statuses == ["OK", "INVALID_MEMORY_ACCESS"]
    assert host.memory_bytes == 3 * 65536
