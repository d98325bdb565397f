;; Probe: a network filter that traps (`unreachable`) on the first data a client sends. Envoy closes
;; that connection and the plugin's VM stays failed; Envoy itself keeps running. Every network case
;; that sends data, and the load case (which sends a few bytes), fail naming proxy_on_downstream_data.
;; expect-fail: ENVOY-LOAD-001 NETWORK-DATA-001 NETWORK-LARGE-001 NETWORK-MANY-001 NETWORK-CLOSE-001
(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))))))
    (local.get $ptr))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_new_connection") (param $ctx i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (if (i32.gt_u (local.get $size) (i32.const 0)) (then unreachable))
    (i32.const 0))
  (func (export "proxy_on_upstream_data") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (i32.const 0))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
