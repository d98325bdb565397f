;; ABI 0.2.1: handles exactly the statuses Envoy answers and traps on any other, as a strict SDK does:
;; proxy_get_header_map_value of a request header (OK or NOT_FOUND), proxy_get_property of a string
;; leaf "request.path" (OK or NOT_FOUND), proxy_set_effective_context of its own live context (OK).
;; HOST-STATUS-001 must pass it; HOST-STATUS-002 must fail it.
(module
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_context (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "x-user")
  (data (i32.const 32) "request\00path")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func $ok_or_not_found (param $status i32)
    (if (i32.gt_u (local.get $status) (i32.const 1)) (then unreachable)))
  (func (export "proxy_on_request_headers") (param $id i32) (param i32 i32) (result i32)
    (call $ok_or_not_found
      (call $get_header (i32.const 0) (i32.const 16) (i32.const 6) (i32.const 64) (i32.const 68)))
    (call $ok_or_not_found (call $get_property (i32.const 32) (i32.const 12) (i32.const 64) (i32.const 68)))
    (if (call $set_context (local.get $id)) (then unreachable))
    (i32.const 0)))
