;; A test filter (ABI 0.2.1) whose request header "x-test" picks what it does, so one module exercises
;; most of the host: l = local reply, c = HTTP callout (answer added as request headers, then continue),
;; b = buffer the request body and replace it, p = pause for good, x = trap, q = enqueue on a shared
;; queue, g = copy the request.path property into a response header, r = local reply from the response
;; path. Always: request header "x-seen: 1", response headers "x-behaviours: yes" and "x-late-read: N"
;; (N = the status of reading request header x-test in proxy_on_response_headers), a request counter,
;; a gauge, a 100 ms tick counter. The allocator is exported as "malloc" (hosts try it first) and is a
;; bump allocator reset when a stream context is deleted, so memory stays bounded.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response"
    (func $local_reply (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_effective (param i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment_metric (param i32 i64) (result i32)))
  (import "env" "proxy_record_metric" (func $record_metric (param i32 i64) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $register_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func $enqueue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $dequeue (param i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (global $mode (mut i32) (i32.const 0))
  (global $root (mut i32) (i32.const 0))
  (global $callout_ctx (mut i32) (i32.const 0))
  (global $requests (mut i32) (i32.const 0))
  (global $ticks (mut i32) (i32.const 0))
  (global $gauge (mut i32) (i32.const 0))
  (global $queue (mut i32) (i32.const 0))

  ;; out-parameters: 8 = pointer, 12 = size, 16 = callout token, 20 = an id
  (data (i32.const 256) "x-test")
  (data (i32.const 272) "x-seen")
  (data (i32.const 280) "1")
  (data (i32.const 288) "x-behaviours")
  (data (i32.const 304) "yes")
  (data (i32.const 320) "denied by test")
  (data (i32.const 336) "blocked\n")
  ;; one pair: x-local: yes
  (data (i32.const 352) "\01\00\00\00\07\00\00\00\03\00\00\00x-local\00yes\00")
  (data (i32.const 384) "auth")
  ;; :method GET, :path /check, :authority auth (69 bytes)
  (data (i32.const 400) "\03\00\00\00\07\00\00\00\03\00\00\00\05\00\00\00\06\00\00\00\0a\00\00\00\04\00\00\00:method\00GET\00:path\00/check\00:authority\00auth\00")
  (data (i32.const 480) ":status")
  (data (i32.const 496) "x-auth-status")
  (data (i32.const 512) "x-auth-body")
  (data (i32.const 528) "REWRITTEN")
  (data (i32.const 544) "request\00path")
  (data (i32.const 560) "x-path")
  (data (i32.const 576) "jobs")
  (data (i32.const 584) "job")
  (data (i32.const 592) "behaviours_requests")
  (data (i32.const 616) "behaviours_ticks")
  (data (i32.const 640) "configured")
  (data (i32.const 656) "x-late-read")
  (data (i32.const 672) "callout failed")
  (data (i32.const 688) "tea")
  (data (i32.const 720) "behaviours_gauge")
  (data (i32.const 736) "0123456789")

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "malloc") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $ptr) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (block $done
      (loop $grow
        (br_if $done (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then (return (i32.const 0))))
        (br $grow)))
    (local.get $ptr))

  (func (export "proxy_on_context_create") (param $ctx i32) (param $parent i32)
    (if (i32.eqz (local.get $parent)) (then (global.set $root (local.get $ctx)))))

  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 640) (i32.const 10)))
    (drop (call $define_metric (i32.const 0) (i32.const 592) (i32.const 19) (i32.const 20)))
    (global.set $requests (i32.load (i32.const 20)))
    (drop (call $define_metric (i32.const 0) (i32.const 616) (i32.const 16) (i32.const 20)))
    (global.set $ticks (i32.load (i32.const 20)))
    (drop (call $define_metric (i32.const 1) (i32.const 720) (i32.const 16) (i32.const 20)))
    (global.set $gauge (i32.load (i32.const 20)))
    (drop (call $register_queue (i32.const 576) (i32.const 4) (i32.const 20)))
    (global.set $queue (i32.load (i32.const 20)))
    (drop (call $set_tick (i32.const 100)))
    (i32.const 1))

  (func (export "proxy_on_tick") (param i32)
    (drop (call $increment_metric (global.get $ticks) (i64.const 1))))

  (func (export "proxy_on_queue_ready") (param $root i32) (param $queue i32)
    (if (i32.eqz (call $dequeue (local.get $queue) (i32.const 8) (i32.const 12)))
      (then (drop (call $log (i32.const 2) (i32.load (i32.const 8)) (i32.load (i32.const 12)))))))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (drop (call $increment_metric (global.get $requests) (i64.const 1)))
    (drop (call $record_metric (global.get $gauge) (i64.const 7)))
    (global.set $mode (i32.const 0))
    (if (i32.eqz (call $get_header (i32.const 0) (i32.const 256) (i32.const 6) (i32.const 8) (i32.const 12)))
      (then (if (i32.gt_u (i32.load (i32.const 12)) (i32.const 0))
        (then (global.set $mode (i32.load8_u (i32.load (i32.const 8))))))))
    (drop (call $add_header (i32.const 0) (i32.const 272) (i32.const 6) (i32.const 280) (i32.const 1)))
    (if (i32.eq (global.get $mode) (i32.const 120)) (then unreachable))                    ;; x
    (if (i32.eq (global.get $mode) (i32.const 108)) (then                                   ;; l
      (drop (call $local_reply (i32.const 403) (i32.const 320) (i32.const 14) (i32.const 336) (i32.const 8)
        (i32.const 352) (i32.const 24) (i32.const -1)))
      (return (i32.const 1))))
    (if (i32.eq (global.get $mode) (i32.const 99)) (then                                    ;; c
      (global.set $callout_ctx (local.get $ctx))
      (drop (call $http_call (i32.const 384) (i32.const 4) (i32.const 400) (i32.const 69) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 500) (i32.const 16)))
      (return (i32.const 1))))
    (if (i32.eq (global.get $mode) (i32.const 112)) (then (return (i32.const 1))))          ;; p
    (if (i32.eq (global.get $mode) (i32.const 113)) (then                                   ;; q
      (drop (call $enqueue (global.get $queue) (i32.const 584) (i32.const 3)))))
    (i32.const 0))

  (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (if (i32.ne (global.get $mode) (i32.const 98)) (then (return (i32.const 0))))          ;; b
    (if (i32.eqz (local.get $eos)) (then (return (i32.const 1))))
    (drop (call $set_buffer (i32.const 0) (i32.const 0) (local.get $size) (i32.const 528) (i32.const 9)))
    (i32.const 0))

  (func (export "proxy_on_http_call_response")
    (param $root i32) (param $token i32) (param $headers i32) (param $body i32) (param $trailers i32)
    (drop (call $set_effective (global.get $callout_ctx)))
    (if (i32.eqz (local.get $headers)) (then
      (drop (call $local_reply (i32.const 503) (i32.const 672) (i32.const 14) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const -1)))
      (return)))
    (if (i32.eqz (call $get_header (i32.const 6) (i32.const 480) (i32.const 7) (i32.const 8) (i32.const 12)))
      (then (drop (call $add_header (i32.const 0) (i32.const 496) (i32.const 13)
        (i32.load (i32.const 8)) (i32.load (i32.const 12))))))
    (if (local.get $body) (then
      (if (i32.eqz (call $get_buffer (i32.const 4) (i32.const 0) (local.get $body) (i32.const 8) (i32.const 12)))
        (then (drop (call $add_header (i32.const 0) (i32.const 512) (i32.const 11)
          (i32.load (i32.const 8)) (i32.load (i32.const 12))))))))
    (drop (call $continue (i32.const 0))))

  (func (export "proxy_on_response_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (local $status i32)
    (local.set $status (call $get_header (i32.const 0) (i32.const 256) (i32.const 6) (i32.const 8) (i32.const 12)))
    (drop (call $add_header (i32.const 2) (i32.const 656) (i32.const 11)
      (i32.add (i32.const 736) (local.get $status)) (i32.const 1)))
    (drop (call $add_header (i32.const 2) (i32.const 288) (i32.const 12) (i32.const 304) (i32.const 3)))
    (if (i32.eq (global.get $mode) (i32.const 103)) (then                                   ;; g
      (if (i32.eqz (call $get_property (i32.const 544) (i32.const 12) (i32.const 8) (i32.const 12)))
        (then (drop (call $add_header (i32.const 2) (i32.const 560) (i32.const 6)
          (i32.load (i32.const 8)) (i32.load (i32.const 12))))))))
    (if (i32.eq (global.get $mode) (i32.const 114)) (then                                   ;; r
      (drop (call $local_reply (i32.const 418) (i32.const 688) (i32.const 3) (i32.const 688) (i32.const 3)
        (i32.const 0) (i32.const 0) (i32.const -1)))))
    (i32.const 0))

  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))

  (func (export "proxy_on_delete") (param $ctx i32)
    (if (i32.ne (local.get $ctx) (global.get $root)) (then (global.set $heap (i32.const 65536)))))
)
