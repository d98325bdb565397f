;; Probe: a filter that buffers every response body whole before letting it go (proxy_on_response_body
;; returns StopIterationAndBuffer until the end of the stream). Beyond Envoy's buffer limit (1 MiB per
;; connection by default) Envoy resets the stream (response_payload_too_large): the 4 MiB case fails as
;; a reset the module caused; smaller bodies pass.
;; expect-fail: TRAFFIC-BODY-001
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $ptr))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_response_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (if (result i32) (local.get $eos) (then (i32.const 0)) (else (i32.const 1))))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
