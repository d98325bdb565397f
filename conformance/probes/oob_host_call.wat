;; Probe: host calls with pointers outside guest memory must come back as an error code, not a crash.
;; In proxy_on_request_headers it calls
;;   proxy_log(INFO, 0x7FFFFF00, 10)                              (message pointer past the 128 KiB memory)
;;   proxy_get_header_map_value(request, ":path", 0x7FFFFFF0, 0x7FFFFFF8)  (result pointers past it)
;; and reports both status codes on the response as "x-oob-log-rc" and "x-oob-get-rc" (6 is
;; INVALID_MEMORY_ACCESS). As the module under test it fails nothing.
;; expect-fail:
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (global $log_rc (mut i32) (i32.const 99))
  (global $get_rc (mut i32) (i32.const 99))

  (data (i32.const 16) ":path")          ;; 5 bytes
  (data (i32.const 32) "x-oob-log-rc")   ;; 12 bytes
  (data (i32.const 48) "x-oob-get-rc")   ;; 12 bytes
  ;; 96..: decimal digits

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))))))
    (local.get $ptr))

  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (global.set $log_rc (call $log (i32.const 2) (i32.const 0x7FFFFF00) (i32.const 10)))
    (global.set $get_rc (call $get_header (i32.const 0) (i32.const 16) (i32.const 5)
                                          (i32.const 0x7FFFFFF0) (i32.const 0x7FFFFFF8)))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (drop (call $add_header (i32.const 2) (i32.const 32) (i32.const 12)
                            (i32.const 96) (call $decimal (global.get $log_rc) (i32.const 96))))
    (drop (call $add_header (i32.const 2) (i32.const 48) (i32.const 12)
                            (i32.const 112) (call $decimal (global.get $get_rc) (i32.const 112))))
    (i32.const 0))

  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))

  ;; two digits at most: status codes are below 100
  (func $decimal (param $n i32) (param $out i32) (result i32)
    (if (i32.lt_u (local.get $n) (i32.const 10))
      (then
        (i32.store8 (local.get $out) (i32.add (i32.const 48) (local.get $n)))
        (return (i32.const 1))))
    (i32.store8 (local.get $out) (i32.add (i32.const 48) (i32.div_u (local.get $n) (i32.const 10))))
    (i32.store8 (i32.add (local.get $out) (i32.const 1)) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
    (i32.const 2))
)
