;; Buffers whole bodies: proxy_on_request_body and proxy_on_response_body answer StopIterationAndBuffer
;; until the end of the stream, so Envoy holds each body in its filter buffer (whose limit applies).
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
    (select (i32.const 0) (i32.const 1) (local.get 2)))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
    (select (i32.const 0) (i32.const 1) (local.get 2))))
