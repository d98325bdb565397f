;; Defines a metric in _initialize, before any context exists. Envoy allows only proxy_log and WASI
;; calls during start-up; this one traps ("restricted_callback") and Envoy refuses the module.
;; HOST-RESTRICT-001 must fail it.
(module
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "early_counter")
  (data (i32.const 32) "starting")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize")
    (drop (call $log (i32.const 2) (i32.const 32) (i32.const 8)))
    (drop (call $define (i32.const 0) (i32.const 16) (i32.const 13) (i32.const 8))))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1)))
