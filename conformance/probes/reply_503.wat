;; Probe: a gRPC-only filter that answers plain HTTP itself. In proxy_on_request_headers it
;; answers 503 with proxy_send_local_response (details "grpc_only_filter") and never forwards. That is a
;; deliberate reply, not a failure: only the SHOULD case that expects a plain GET to reach the upstream
;; fails.
;; expect-fail: TRAFFIC-FORWARD-001
(module
  (import "env" "proxy_send_local_response"
    (func $local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "grpc_only_filter")        ;; 16 bytes
  (data (i32.const 48) "this filter serves gRPC only\n") ;; 29 bytes

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $ptr))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))

  ;; 403, details, body, no extra headers, no gRPC status (-1); then stop iteration (1)
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (drop (call $local_response (i32.const 503) (i32.const 16) (i32.const 16) (i32.const 48) (i32.const 29)
                                (i32.const 0) (i32.const 0) (i32.const -1)))
    (i32.const 1))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
