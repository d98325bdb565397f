;; Reads every request header and traps on a value byte >= 0x80, as a filter that insists on ASCII (or
;; unwraps a UTF-8 decode) does. Fine on plain traffic; HOST-HOSTILE-001 must fail it on non-UTF-8 values.
(module
  (import "env" "proxy_get_header_map_pairs" (func $get_pairs (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $ptr) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (block $done
      (loop $grow
        (br_if $done (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then (return (i32.const 0))))
        (br $grow)))
    (local.get $ptr))

  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (local $p i32) (local $end i32)
    (if (call $get_pairs (i32.const 0) (i32.const 8) (i32.const 12)) (then (return (i32.const 0))))
    (local.set $p (i32.load (i32.const 8)))
    (local.set $end (i32.add (local.get $p) (i32.load (i32.const 12))))
    ;; skip the count and the size table, then scan the keys and values
    (local.set $p (i32.add (local.get $p) (i32.add (i32.const 4) (i32.mul (i32.load (local.get $p)) (i32.const 8)))))
    (block $done
      (loop $scan
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.ge_u (i32.load8_u (local.get $p)) (i32.const 128)) (then unreachable))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $scan)))
    (global.set $heap (i32.const 65536))
    (i32.const 0))

  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1)))
