;; Exports every end-of-stream callback, so a test sees their order. With a 4-byte plugin configuration
;; (e.g. "late") its root context answers false from proxy_on_done and calls proxy_done from its next
;; tick (100 ms), as a plugin that drains work before it goes.
(module
  (import "env" "proxy_done" (func $done (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $root (mut i32) (i32.const 0))
  (global $late (mut i32) (i32.const 0))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param $ctx i32) (param $parent i32)
    (if (i32.eqz (local.get $parent)) (then (global.set $root (local.get $ctx)))))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (global.set $late (i32.eq (local.get $size) (i32.const 4)))
    (if (global.get $late) (then (drop (call $set_tick (i32.const 100)))))
    (i32.const 1))
  (func (export "proxy_on_tick") (param i32) (drop (call $done)))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_done") (param $ctx i32) (result i32)
    (i32.eqz (i32.and (global.get $late) (i32.eq (local.get $ctx) (global.get $root)))))
  (func (export "proxy_on_delete") (param i32)))
