;; Probe: a body logger. It logs the start of every request body chunk at error level through proxy_log
;; (Envoy prints it as "wasm log ..." at [error][wasm]) and forwards everything unchanged. The module's
;; own log lines are its business, not Envoy's verdict: it passes every case.
;; expect-fail:
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 16) "request body: ")   ;; 14 bytes; the chunk's first bytes are copied after it
  ;; 64: returned pointer, 68: returned size

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

  ;; buffer type 0 = request body; log level 4 = error
  (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (local $n i32)
    (local.set $n (select (local.get $size) (i32.const 32) (i32.lt_u (local.get $size) (i32.const 32))))
    (if (i32.gt_u (local.get $n) (i32.const 0))
      (then
        (if (i32.eqz (call $get_buffer (i32.const 0) (i32.const 0) (local.get $n) (i32.const 64) (i32.const 68)))
          (then (memory.copy (i32.const 30) (i32.load (i32.const 64)) (i32.load (i32.const 68)))))))
    (drop (call $log (i32.const 4) (i32.const 16) (i32.add (i32.const 14) (local.get $n))))
    (i32.const 0))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
