;; Bad: has no linear memory at all; Envoy loads it and then segfaults at the first proxy_log. Must fail ABI-MEMORY-001.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  ;; The first host call happens per request, so Envoy starts fine and dies at the first request.
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 0) (i32.const 4)))
    (i32.const 0)))
