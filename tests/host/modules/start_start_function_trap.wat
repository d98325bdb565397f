;; A start-up probe: the wasm start function traps while Envoy instantiates the module: Envoy refuses it.
;; Everything else is a good HTTP filter. wasmhub inspect must predict the refusal by running start-up.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func $boom unreachable) (start $boom)
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))
