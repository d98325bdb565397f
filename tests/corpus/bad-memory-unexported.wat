;; Bad: defines a memory but forgets to export it (crashes Envoy at the first host call). Must fail ABI-MEMORY-001.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "hello")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 0) (i32.const 5)))
    (i32.const 0)))
