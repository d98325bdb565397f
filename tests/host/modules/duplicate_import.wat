;; Imports wasi_snapshot_preview1.fd_write twice under two names, as Go's wasip1 port does, and
;; writes a line through each at start-up. Envoy links both imports to its one fd_write.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write_a (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write_b (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "\50\00\00\00\03\00\00\00")  ;; iovec: "hi\n" at 80
  (data (i32.const 80) "hi\n")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "_initialize")
    (drop (call $write_a (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 96)))
    (drop (call $write_b (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 96))))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))
