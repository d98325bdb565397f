;; Good: an HTTP filter for ABI 0.1.0 (2-argument header callbacks, proxy_get_configuration). Must pass every case.
(module
  (import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))
  ;; The 0.1.0 text prints proxy_continue_request as () -> (); every host links it as () -> i32.
  (import "env" "proxy_continue_request" (func (result i32)))
  (import "env" "proxy_clear_route_cache" (func (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_1_0"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32) (result i32) (i32.const 0)))
