;; Good: an HTTP filter for ABI 0.2.0 (as the Go SDKs declare) that pauses and resumes requests. Must pass every case.
(module
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "proxy_abi_version_0_2_0"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 8192))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  ;; 0.2.x header callbacks take end_of_stream as a third argument.
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
    (drop (call $continue (i32.const 0)))                  ;; HTTP_REQUEST
    (i32.const 0))
  ;; proxy_on_foreign_function exists from 0.2.0.
  (func (export "proxy_on_foreign_function") (param i32 i32 i32)))
