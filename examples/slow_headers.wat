;; A deliberately slow proxy-wasm filter (ABI 0.2.1): the yardstick of `wasmhub bench`.
;;
;; On each request it asks Envoy for all the request headers and walks them, again and again:
;; PASSES times per request. Each pass is one host call (Envoy serializes the header map and copies it
;; into this module's memory) plus a walk over the pairs, so the cost grows with PASSES and with the
;; number of headers. It changes nothing: requests and responses pass through untouched.
;;
;; PASSES is the plugin configuration as a decimal number (e.g. "500"); empty means 2000, the default.
;; Anything else is refused at configure time, so a typo fails loudly instead of benchmarking nothing.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes"
    (func $get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs"
    (func $get_header_map_pairs (param i32 i32 i32) (result i32)))

  (memory (export "memory") 2)

  ;; Memory below 4096 is static data; the host's copies go above it, into a bump heap. Everything a
  ;; request pass allocates is dead once the pass ends, so each pass starts the heap afresh.
  (global $heap_base i32 (i32.const 4096))
  (global $heap (mut i32) (i32.const 4096))
  (global $passes (mut i32) (i32.const 2000))
  (global $checksum (mut i32) (i32.const 0))  ;; keeps the walk's result observable

  ;; 0..7: the host's return slots (pointer at 0, size at 4)
  (data (i32.const 16) "slow_headers configured") ;; 23 bytes
  (data (i32.const 48) "slow_headers: the plugin configuration must be a number of passes, 1 to 1000000") ;; 79 bytes

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $size)) (i32.const 7))
                               (i32.const -8)))
    ;; grow until the new heap top fits (the header map of one request may exceed a page)
    (block $fits
      (loop $grow
        (br_if $fits (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then (unreachable)))
        (br $grow)))
    (local.get $ptr))

  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))

  (func (export "proxy_on_vm_start") (param $root i32) (param $vm_config_size i32) (result i32)
    (i32.const 1))

  ;; Parses the plugin configuration into $passes; returns 0 (refusing the configuration) when it is
  ;; not a number from 1 to 1000000.
  (func (export "proxy_on_configure") (param $root i32) (param $config_size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $digit i32) (local $value i32)
    (if (i32.eqz (local.get $config_size))
      (then
        (drop (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 23)))
        (return (i32.const 1))))
    ;; buffer type 7 = plugin configuration
    (if (call $get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $config_size) (i32.const 0) (i32.const 4))
      (then (return (i32.const 0))))
    (local.set $ptr (i32.load (i32.const 0)))
    (local.set $end (i32.add (local.get $ptr) (i32.load (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $digit (i32.sub (i32.load8_u (local.get $ptr)) (i32.const 48)))
        (if (i32.gt_u (local.get $digit) (i32.const 9)) (then (br $done)))
        (local.set $value (i32.add (i32.mul (local.get $value) (i32.const 10)) (local.get $digit)))
        (if (i32.gt_u (local.get $value) (i32.const 1000000)) (then (br $done)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $next)))
    (global.set $heap (global.get $heap_base))
    (if (i32.or (i32.lt_u (local.get $ptr) (local.get $end))
                (i32.or (i32.eqz (local.get $value)) (i32.gt_u (local.get $value) (i32.const 1000000))))
      (then
        (drop (call $proxy_log (i32.const 4) (i32.const 48) (i32.const 79)))
        (return (i32.const 0))))
    (global.set $passes (local.get $value))
    (drop (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 23)))
    (i32.const 1))

  ;; Sums the key and value lengths of a serialized header map: u32 count, then count pairs of
  ;; (u32 key length, u32 value length), then the bytes.
  (func $walk (param $map i32) (result i32)
    (local $entry i32) (local $last i32) (local $sum i32)
    (local.set $entry (i32.add (local.get $map) (i32.const 4)))
    (local.set $last (i32.add (local.get $entry) (i32.mul (i32.load (local.get $map)) (i32.const 8))))
    (block $done
      (loop $pair
        (br_if $done (i32.ge_u (local.get $entry) (local.get $last)))
        (local.set $sum (i32.add (local.get $sum)
          (i32.add (i32.load (local.get $entry)) (i32.load offset=4 (local.get $entry)))))
        (local.set $entry (i32.add (local.get $entry) (i32.const 8)))
        (br $pair)))
    (local.get $sum))

  ;; map type 0 = request headers; return 0 = continue
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32)
    (result i32)
    (local $pass i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $pass) (global.get $passes)))
        (global.set $heap (global.get $heap_base))
        (if (i32.eqz (call $get_header_map_pairs (i32.const 0) (i32.const 0) (i32.const 4)))
          (then (global.set $checksum
                  (i32.add (global.get $checksum) (call $walk (i32.load (i32.const 0)))))))
        (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
        (br $again)))
    (global.set $heap (global.get $heap_base))
    (i32.const 0))

  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
