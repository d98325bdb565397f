;; An escape probe: what a hostile module controls (its code and its plugin configuration, never the
;; bootstrap) aimed at a service the suite did not configure. The plugin configuration is the target,
;; "HOST:PORT" or "unix:PATH". On every request the module
;;   1. makes an HTTP callout to a cluster named by the target (no such cluster: Envoy refuses), and
;;   2. makes a gRPC callout whose "service" is a serialized envoy.config.core.v3.GrpcService with a
;;      google_grpc target_uri of the target: Envoy's Google gRPC client connects there by itself,
;;      without any cluster of the bootstrap,
;;   3. asks WASI for a socket (sock_accept on fd 3, the first a runtime would preopen): Envoy offers
;;      the import but no socket (it answers 58, ENOTSUP, measured on 1.40.0),
;; then lets the request through with the statuses in request headers x-escape-http, x-escape-grpc and
;; x-escape-wasi.
(module
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call"
    (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_call"
    (func $grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (global $target (mut i32) (i32.const 0))       ;; the plugin configuration, as Envoy copied it
  (global $target_size (mut i32) (i32.const 0))
  (data (i32.const 16) "wasmhub.Escape")   ;; 14 bytes: the gRPC service name
  (data (i32.const 32) "Call")             ;; 4 bytes: the gRPC method
  (data (i32.const 48) "x-escape-http")    ;; 13 bytes
  (data (i32.const 64) "x-escape-grpc")    ;; 13 bytes
  (data (i32.const 80) "0123456789")       ;; status digits
  (data (i32.const 96) "x-escape-wasi")    ;; 13 bytes; 112..113: a two-digit status
  ;; serialized headers for the HTTP callout: 3 pairs (:method GET, :path /escape, :authority escape)
  (data (i32.const 128)
    "\03\00\00\00"
    "\07\00\00\00" "\03\00\00\00"
    "\05\00\00\00" "\07\00\00\00"
    "\0a\00\00\00" "\06\00\00\00"
    ":method\00" "GET\00" ":path\00" "/escape\00" ":authority\00" "escape\00")
  ;; 512: the config pointer and size Envoy returns; 520: callout tokens; 1024..: the GrpcService bytes

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $ptr))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    ;; buffer type 7: the plugin configuration
    (if (i32.eqz (call $get_buffer (i32.const 7) (i32.const 0) (local.get $size) (i32.const 512) (i32.const 516)))
      (then
        (global.set $target (i32.load (i32.const 512)))
        (global.set $target_size (i32.load (i32.const 516)))))
    (i32.const 1))
  ;; GrpcService { google_grpc (2) { target_uri (1): target, stat_prefix (4): "e" } } at 1024; its size
  (func $grpc_service (result i32)
    (local $inner i32)
    (local.set $inner (i32.add (global.get $target_size) (i32.const 5)))  ;; 2 + target + 3
    (i32.store8 (i32.const 1024) (i32.const 0x12))
    (i32.store8 (i32.const 1025) (local.get $inner))
    (i32.store8 (i32.const 1026) (i32.const 0x0a))
    (i32.store8 (i32.const 1027) (global.get $target_size))
    (memory.copy (i32.const 1028) (global.get $target) (global.get $target_size))
    (i32.store8 (i32.add (i32.const 1028) (global.get $target_size)) (i32.const 0x22))
    (i32.store8 (i32.add (i32.const 1029) (global.get $target_size)) (i32.const 1))
    (i32.store8 (i32.add (i32.const 1030) (global.get $target_size)) (i32.const 0x65))  ;; "e"
    (i32.add (local.get $inner) (i32.const 2)))
  (func $report (param $name i32) (param $status i32)
    (drop (call $add_header (i32.const 0) (local.get $name) (i32.const 13)
                            (i32.add (i32.const 80) (i32.rem_u (local.get $status) (i32.const 10))) (i32.const 1))))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (call $report (i32.const 48)
      (call $http_call (global.get $target) (global.get $target_size) (i32.const 128) (i32.const 78)
                       (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 520)))
    (call $report (i32.const 64)
      (call $grpc_call (i32.const 1024) (call $grpc_service) (i32.const 16) (i32.const 14)
                       (i32.const 32) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                       (i32.const 1000) (i32.const 524)))
    (call $report_two_digits (i32.const 96) (call $sock_accept (i32.const 3) (i32.const 0) (i32.const 528)))
    (i32.const 0))
  (func $report_two_digits (param $name i32) (param $status i32)
    (i32.store8 (i32.const 112) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $status) (i32.const 10)) (i32.const 10))))
    (i32.store8 (i32.const 113) (i32.add (i32.const 48) (i32.rem_u (local.get $status) (i32.const 10))))
    (drop (call $add_header (i32.const 0) (local.get $name) (i32.const 13) (i32.const 112) (i32.const 2))))
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32))
  (func (export "proxy_on_grpc_receive_initial_metadata") (param i32 i32 i32))
  (func (export "proxy_on_grpc_receive") (param i32 i32 i32))
  (func (export "proxy_on_grpc_receive_trailing_metadata") (param i32 i32 i32))
  (func (export "proxy_on_grpc_close") (param i32 i32 i32))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
