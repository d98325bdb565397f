;; Probe: traps in proxy_on_vm_start. Envoy refuses to start, whatever the failure policy, logging
;; "Function: proxy_on_vm_start failed: Uncaught RuntimeError: unreachable" (docs/host-facts.md#start-failures-stop-envoy). Every case
;; that starts Envoy with it fails, quoting that reason.
;; expect-fail: ENVOY-LOAD-001 TRAFFIC-* HOSTILE-HEADERS-001 HOSTILE-VALUES-001 HOSTILE-METHODS-001 HOSTILE-RESET-001 ISOLATION-CRASH-001
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $ptr))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) unreachable)
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
)
