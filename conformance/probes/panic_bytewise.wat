;; Probe: a TinyGo-style panic. TinyGo's runtime writes a panic message to stderr one byte per fd_write
;; call and then traps; Envoy logs every write as a line of its own. The trap's reason must carry the
;; whole message joined again ("panic: strconv.Atoi: parsing \"abc\": invalid syntax"), not one letter.
;; It traps on every request, so every traffic case fails.
;; expect-fail: ENVOY-LOAD-001 TRAFFIC-* HOSTILE-HEADERS-001 HOSTILE-VALUES-001 HOSTILE-METHODS-001 HOSTILE-RESET-001
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 64) "panic: strconv.Atoi: parsing \"abc\": invalid syntax\n")  ;; 51 bytes
  ;; 16: one iovec {ptr, len}, 24: bytes written

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $ptr))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (local $i i32)
    (loop $each_byte
      (i32.store (i32.const 16) (i32.add (i32.const 64) (local.get $i)))
      (i32.store (i32.const 20) (i32.const 1))
      (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 24)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each_byte (i32.lt_u (local.get $i) (i32.const 51))))
    unreachable)
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
