;; Probe: imports a host function Envoy does not provide. Envoy refuses to start:
;; "Failed to load Wasm module due to a missing import: env.proxy_does_not_exist" (docs/host-facts.md#start-failures-stop-envoy).
;; expect-fail: ENVOY-LOAD-001 TRAFFIC-* HOSTILE-HEADERS-001 HOSTILE-VALUES-001 HOSTILE-METHODS-001 HOSTILE-RESET-001 ISOLATION-CRASH-001
(module
  (import "env" "proxy_does_not_exist" (func $missing (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $ptr))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $missing (i32.const 0)))
    (i32.const 0))
)
