;; Bad: imports proxy_continue_request as () -> (), as the 0.1.0 text prints it; hosts link () -> i32. Must fail ABI-IMPORT-001.
(module
  (import "env" "proxy_continue_request" (func))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_1_0"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0)))
