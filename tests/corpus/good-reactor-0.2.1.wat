;; Good: a WASI reactor (_initialize + main) exporting one allocator under both names. Must pass every case.
(module
  (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func $alloc (param i32) (result i32) (i32.const 1024))
  ;; Envoy calls malloc, the spec proxy_on_memory_allocate: the same function under both names is portable.
  (export "proxy_on_memory_allocate" (func $alloc))
  (export "malloc" (func $alloc))
  (func (export "_initialize"))
  (func (export "main") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (@producers (language "WebAssembly text" "1") (processed-by "wasmhub corpus" "1")))
