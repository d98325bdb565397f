;; Probe: a well-behaved Wasm service, in the style of the SDKs' "hello world": a root context only,
;; with a 10 ms timer whose every 50th tick logs a line. It runs as a service and passes every case;
;; HTTP and network cases do not apply to it.
;; expect-fail:
(module
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (global $ticks (mut i32) (i32.const 0))
  (data (i32.const 16) "service tick")  ;; 12 bytes
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))))))
    (local.get $ptr))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (drop (call $set_tick (i32.const 10)))
    (i32.const 1))
  (func (export "proxy_on_tick") (param $root i32)
    (global.set $ticks (i32.add (global.get $ticks) (i32.const 1)))
    (if (i32.eqz (i32.rem_u (global.get $ticks) (i32.const 50)))
      (then (drop (call $log (i32.const 2) (i32.const 16) (i32.const 12))))))
)
