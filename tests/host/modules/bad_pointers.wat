;; Hands the host bad pointers, a bad enum and an unknown gRPC token, and calls a WASI function the host
;; leaves unimplemented (fd_tell):
;; Envoy answers INVALID_MEMORY_ACCESS (6) and BAD_ARGUMENT (2) without trapping (crash.md section 4).
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_cancel" (func $grpc_cancel (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) ":path")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 4096))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 0x7fffff00) (i32.const 10)))        ;; past the memory
    (drop (call $log (i32.const 2) (i32.const 65530) (i32.const 100)))            ;; straddles the end
    (drop (call $log (i32.const 99) (i32.const 16) (i32.const 5)))                ;; no such level
    (drop (call $get_header (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 0x7ffffff0) (i32.const 8)))
    (drop (call $get_header (i32.const 77) (i32.const 16) (i32.const 5) (i32.const 8) (i32.const 12)))
    (drop (call $grpc_cancel (i32.const 1)))                                     ;; no such call
    (drop (call $fd_tell (i32.const 1) (i32.const 32)))
    (i32.const 0)))
