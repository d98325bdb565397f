;; Probe: a module that exports no proxy_abi_version_* marker. Envoy refuses to start:
;; "Wasm VM failed Missing or unknown Proxy-Wasm ABI version" (docs/host-facts.md#start-failures-stop-envoy).
;; expect-fail: ENVOY-LOAD-001 TRAFFIC-* HOSTILE-HEADERS-001 HOSTILE-VALUES-001 HOSTILE-METHODS-001 HOSTILE-RESET-001 ISOLATION-CRASH-001
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $ptr))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
)
