;; A start-up probe: _initialize traps: Envoy refuses to start it.
;; Everything else is a good HTTP filter. wasmhub inspect must predict the refusal by running start-up.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "_initialize") unreachable)
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))
