;; Probe (guided search): an HTTP filter that reads many request headers, among them the ones the trigger
;; probes trap on, parses each value's leading digits as a number (any length, any bytes, empty or
;; absent), and reports the sum in the response header "x-guided-sum". It never traps and never hangs:
;; the guided search must find nothing in it (no false alarm).
;; expect-fail:
(module
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))  ;; host allocations go after the first page
  (global $sum (mut i32) (i32.const 0))

  ;; the names it reads: [offset, size] pairs at 512.., the names themselves at 16..
  (data (i32.const 16) "x-user-id")      ;; 9
  (data (i32.const 32) "x-tenant")       ;; 8
  (data (i32.const 48) "x-shard")        ;; 7
  (data (i32.const 64) "x-depth")        ;; 7
  (data (i32.const 80) "authorization")  ;; 13
  (data (i32.const 96) "cookie")         ;; 6
  (data (i32.const 112) "content-type")  ;; 12
  (data (i32.const 128) "x-retry-count") ;; 13
  (data (i32.const 144) "x-guided-sum")  ;; 12
  (data (i32.const 512) "\10\00\00\00\09\00\00\00\20\00\00\00\08\00\00\00\30\00\00\00\07\00\00\00\40\00\00\00\07\00\00\00")
  (data (i32.const 544) "\50\00\00\00\0d\00\00\00\60\00\00\00\06\00\00\00\70\00\00\00\0c\00\00\00\80\00\00\00\0d\00\00\00")
  ;; 400: returned pointer, 404: returned size, 416..: decimal digits
  (global $names i32 (i32.const 8))

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
    (local $i i32) (local $entry i32)
    (global.set $heap (i32.const 65536))  ;; the values are read here and nowhere else: start the heap again
    (global.set $sum (i32.const 0))
    (loop $next
      (local.set $entry (i32.add (i32.const 512) (i32.shl (local.get $i) (i32.const 3))))
      ;; a header that is absent (NOT_FOUND) adds nothing
      (if (i32.eqz (call $get_header (i32.const 0) (i32.load (local.get $entry)) (i32.load offset=4 (local.get $entry))
                                     (i32.const 400) (i32.const 404)))
        (then
          (global.set $sum (i32.add (global.get $sum)
                                    (call $number (i32.load (i32.const 400)) (i32.load (i32.const 404)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (global.get $names))))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (drop (call $add_header (i32.const 2) (i32.const 144) (i32.const 12)
                            (i32.const 416) (call $decimal (global.get $sum) (i32.const 416))))
    (i32.const 0))

  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))

  ;; the leading decimal digits of [ptr, ptr+len) as a number, at most 9 digits (0 when there are none)
  (func $number (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $n i32) (local $digit i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (br_if $done (i32.ge_u (local.get $i) (i32.const 9)))
        (local.set $digit (i32.sub (i32.load8_u (i32.add (local.get $ptr) (local.get $i))) (i32.const 48)))
        (br_if $done (i32.gt_u (local.get $digit) (i32.const 9)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (local.get $digit)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $n))

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
