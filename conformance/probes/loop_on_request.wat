;; Probe: an endless loop in proxy_on_request_headers. Envoy has no execution time limit: the worker
;; thread that runs it is wedged for good, and with it every listener that worker serves
;; (docs/host-facts.md#no-cpu-limit): the other known isolation break.
;; expect-fail: ENVOY-LOAD-001 TRAFFIC-* HOSTILE-HEADERS-001 HOSTILE-VALUES-001 HOSTILE-METHODS-001 HOSTILE-RESET-001 ISOLATION-CRASH-001
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
    (loop $forever (br $forever))
    (i32.const 0))
)
