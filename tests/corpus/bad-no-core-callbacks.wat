;; Bad (portability): an HTTP filter without proxy_on_context_create/vm_start/configure (nginx refuses it). Must fail ABI-CALLBACK-003.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))
