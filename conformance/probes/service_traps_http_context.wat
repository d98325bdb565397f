;; Probe: a service built like the Rust SDK's: it exports every callback, HTTP ones included, but its
;; root context makes no stream contexts: proxy_on_context_create traps for any context with a parent
;; (the SDK's "missing ContextType on root_context"). Run as the service it is, it passes; run as an
;; HTTP filter (--wasm-kind http) every HTTP case fails naming the trap.
;; expect-fail:
(module
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
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
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32)
    (if (i32.ne (local.get $parent) (i32.const 0)) (then unreachable)))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (drop (call $set_tick (i32.const 50)))
    (i32.const 1))
  (func (export "proxy_on_tick") (param $root i32))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (i32.const 0))
  (func (export "proxy_on_response_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (i32.const 0))
  (func (export "proxy_on_new_connection") (param $ctx i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (i32.const 0))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
