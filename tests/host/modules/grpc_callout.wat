;; A gRPC callout per request (ABI 0.2.1): proxy_on_request_headers calls svc.Echo/Say on cluster
;; "grpc_backend" (a serialized GrpcService naming it) with message "ping" and pauses; the answer
;; continues the request with header "x-grpc-reply: <message>" (proxy_on_grpc_receive) or
;; "x-grpc-close: <status as one hex digit>" (proxy_on_grpc_close). A refused call traps, as an SDK that
;; unwraps the call's result does: it needs the cluster (--envoy-cluster=grpc_backend[=HOST:PORT]).
(module
  (import "env" "proxy_grpc_call"
    (func $grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_effective (param i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (global $waiting (mut i32) (i32.const 0))
  (data (i32.const 144) "\0a\0e\0a\0cgrpc_backend")  ;; GrpcService { envoy_grpc { cluster_name } }
  (data (i32.const 32) "svc.Echo")
  (data (i32.const 48) "Say")
  (data (i32.const 56) "ping")
  (data (i32.const 64) "x-grpc-reply")
  (data (i32.const 80) "x-grpc-close")
  (data (i32.const 112) "0123456789abcdef")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.const 60000)) (then (global.set $heap (i32.const 8192))))
    (local.get $at))
  (func $digit (param $value i32) (result i32)
    (i32.add (i32.const 112) (i32.and (local.get $value) (i32.const 15))))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param $id i32) (param i32 i32) (result i32)
    (local $status i32)
    (local.set $status
      (call $grpc_call (i32.const 144) (i32.const 16) (i32.const 32) (i32.const 8) (i32.const 48) (i32.const 3)
                       (i32.const 0) (i32.const 0) (i32.const 56) (i32.const 4) (i32.const 2000) (i32.const 128)))
    (if (local.get $status) (then unreachable))
    (global.set $waiting (local.get $id))
    (i32.const 1))
  (func (export "proxy_on_grpc_receive") (param i32 i32) (param $size i32)
    (drop (call $get_buffer (i32.const 5) (i32.const 0) (local.get $size) (i32.const 136) (i32.const 140)))
    (drop (call $set_effective (global.get $waiting)))
    (drop (call $add_header (i32.const 0) (i32.const 64) (i32.const 12) (i32.load (i32.const 136)) (i32.load (i32.const 140))))
    (drop (call $continue (i32.const 0))))
  (func (export "proxy_on_grpc_close") (param i32 i32) (param $status i32)
    (drop (call $set_effective (global.get $waiting)))
    (drop (call $add_header (i32.const 0) (i32.const 80) (i32.const 12) (call $digit (local.get $status)) (i32.const 1)))
    (drop (call $continue (i32.const 0)))))
