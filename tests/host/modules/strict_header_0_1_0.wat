;; ABI 0.1.0: reads request header "x-user" and traps unless the call answers OK, as an SDK that treats
;; any other status as fatal does. Envoy answers OK (with an empty value for a missing header) in ABI
;; 0.1.0, so HOST-STATUS-001 must pass it; HOST-STATUS-002 (any other status) must fail it.
(module
  (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "x-user")
  (func (export "proxy_abi_version_0_1_0"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32) (result i32)
    (if (call $get (i32.const 0) (i32.const 16) (i32.const 6) (i32.const 64) (i32.const 68))
      (then unreachable))
    (i32.const 0)))
