;; Envoy refuses this module: it exports no proxy_abi_version_* marker, so the host cannot tell which
;; ABI it speaks ("Missing or unknown Proxy-Wasm ABI version"). Otherwise a well-formed filter.
(module
  (memory (export "memory") 1)
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1)))
