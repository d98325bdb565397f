;; Bad: several problems at once (two markers, unexported memory, wrong callback, unknown import). Must fail ABI-MARKER-002, ABI-MEMORY-001, ABI-CALLBACK-001, ABI-IMPORT-001.
(module
  (import "env" "proxy_dispatch_http_call" (func (param i32 i32) (result i32)))
  (memory 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_abi_version_0_2_0"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_tick") (param i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))
