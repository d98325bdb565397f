;; Probe: a filter that rewrites response bodies: it drops content-length and puts 12 bytes of its own
;; ("[rewritten] ") before every body. A body change is the module's right, not a failure: it passes
;; every case, and the reports must show the change (sizes, first differing offset, an excerpt).
;; expect-fail:
(module
  (import "env" "proxy_remove_header_map_value" (func $remove_header (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (global $started (mut i32) (i32.const 0))  ;; the stream whose body was prefixed already
  (data (i32.const 16) "content-length")   ;; 14 bytes
  (data (i32.const 32) "[rewritten] ")     ;; 12 bytes

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $ptr))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  ;; map type 2 = response headers
  (func (export "proxy_on_response_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (drop (call $remove_header (i32.const 2) (i32.const 16) (i32.const 14)))
    (i32.const 0))
  ;; buffer type 1 = response body: replace its first 0 bytes with the prefix, once per stream
  (func (export "proxy_on_response_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (if (i32.ne (global.get $started) (local.get $ctx))
      (then
        (global.set $started (local.get $ctx))
        (drop (call $set_buffer (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 32) (i32.const 12)))))
    (i32.const 0))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
