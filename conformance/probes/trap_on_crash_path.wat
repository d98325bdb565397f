;; Probe: a well-behaved filter that traps on demand.
;; - every response gets "x-probe: <the plugin configuration>" (so two plugins can be told apart) and
;;   "x-count: <requests this VM instance has seen>" (a fresh VM starts again at 1);
;; - a request whose path starts with "/crash" hits `unreachable` in proxy_on_request_headers.
;; The isolation and failure-policy cases run it in Envoy to check what the host does after a trap.
;; As the module under test it fails only HOSTILE-GUIDED-001: the suite's fixed requests never ask for
;; /crash, but the guided search finds "/crash" among the module's strings and sends it (a true finding,
;; confirmed on Envoy).
;; expect-fail: HOSTILE-GUIDED-001
(module
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))  ;; host allocations go after the first page
  (global $count (mut i32) (i32.const 0))
  (global $config_ptr (mut i32) (i32.const 0))
  (global $config_len (mut i32) (i32.const 0))

  (data (i32.const 16) ":path")     ;; 5 bytes
  (data (i32.const 32) "/crash")    ;; 6 bytes
  (data (i32.const 48) "x-probe")   ;; 7 bytes
  (data (i32.const 64) "x-count")   ;; 7 bytes
  ;; 80: returned pointer, 84: returned size, 96..: decimal digits

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

  ;; buffer type 7 = plugin configuration; it names this plugin in x-probe
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (if (i32.gt_u (local.get $size) (i32.const 0))
      (then
        (drop (call $get_buffer (i32.const 7) (i32.const 0) (local.get $size) (i32.const 80) (i32.const 84)))
        (global.set $config_ptr (i32.load (i32.const 80)))
        (global.set $config_len (i32.load (i32.const 84)))))
    (i32.const 1))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (if (i32.eqz (call $get_header (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 80) (i32.const 84)))
      (then
        (if (call $starts_with_crash (i32.load (i32.const 80)) (i32.load (i32.const 84)))
          (then unreachable))))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (drop (call $add_header (i32.const 2) (i32.const 48) (i32.const 7) (global.get $config_ptr) (global.get $config_len)))
    (drop (call $add_header (i32.const 2) (i32.const 64) (i32.const 7)
                            (i32.const 96) (call $decimal (global.get $count) (i32.const 96))))
    (i32.const 0))

  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))

  (func $starts_with_crash (param $ptr i32) (param $len i32) (result i32)
    (local $i i32)
    (if (i32.lt_u (local.get $len) (i32.const 6)) (then (return (i32.const 0))))
    (loop $next
      (if (i32.ne (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))
                  (i32.load8_u (i32.add (i32.const 32) (local.get $i))))
        (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 6))))
    (i32.const 1))

  ;; writes $n in decimal at $out and returns the number of digits
  (func $decimal (param $n i32) (param $out i32) (result i32)
    (local $len i32) (local $rest i32) (local $i i32)
    (local.set $len (i32.const 1))
    (local.set $rest (local.get $n))
    (block $counted
      (loop $count
        (br_if $counted (i32.lt_u (local.get $rest) (i32.const 10)))
        (local.set $rest (i32.div_u (local.get $rest) (i32.const 10)))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $count)))
    (local.set $i (local.get $len))
    (local.set $rest (local.get $n))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $out) (local.get $i))
                  (i32.add (i32.const 48) (i32.rem_u (local.get $rest) (i32.const 10))))
      (local.set $rest (i32.div_u (local.get $rest) (i32.const 10)))
      (br_if $write (i32.gt_u (local.get $i) (i32.const 0))))
    (local.get $len))
)
