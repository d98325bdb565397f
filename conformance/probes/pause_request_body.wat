;; Probe: a filter that pauses only requests with a body: proxy_on_request_headers returns StopIteration
;; when the headers do not end the stream, and nothing resumes the stream. Requests without a body pass.
;; The cases that send a request body fail as hangs; the others pass.
;; expect-fail: TRAFFIC-POST-001 TRAFFIC-BODY-001 TRAFFIC-CHUNKED-001 TRAFFIC-H2-001 HOSTILE-METHODS-001
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
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (if (result i32) (local.get $eos) (then (i32.const 0)) (else (i32.const 1))))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
