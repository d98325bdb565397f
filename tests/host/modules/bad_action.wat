;; Returns 2 from proxy_on_request_headers (Envoy's ContinueAndEndStream, not a proxy-wasm action).
;; HOST-ACTION-001 must fail it.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 2))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1)))
