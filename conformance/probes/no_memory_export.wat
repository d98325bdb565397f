;; Probe: a module whose linear memory is not exported. Envoy loads it, and the first host call it makes
;; (here proxy_get_header_map_value in proxy_on_request_headers) segfaults the whole Envoy process:
;; one of the two known isolation breaks (docs/host-facts.md#no-memory-export-crashes-envoy).
;; expect-fail: ENVOY-LOAD-001 TRAFFIC-* HOSTILE-HEADERS-001 HOSTILE-VALUES-001 HOSTILE-METHODS-001 HOSTILE-RESET-001 ISOLATION-CRASH-001
(module
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))

  (memory 2)  ;; defined, but deliberately not exported
  (global $heap (mut i32) (i32.const 65536))
  (data (i32.const 16) ":path")

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
    (drop (call $get_header (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 80) (i32.const 84)))
    (i32.const 0))
)
