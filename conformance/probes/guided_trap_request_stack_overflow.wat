;; Probe (guided search): a well-behaved HTTP filter that recurses without end in
;; proxy_on_request_headers when the request carries `x-depth` (the call stack is exhausted).
;; The suite's fixed requests never carry that header, so it passes every other case; only a search
;; that sends the headers the module asks for finds it.
;; expect-fail: HOSTILE-GUIDED-001
(module
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))  ;; host allocations go after the first page
  (global $seen (mut i32) (i32.const 0))      ;; 1 while the current request carries the header

  (data (i32.const 16) "x-depth")  ;; 7 bytes
  ;; 80: returned pointer, 84: returned size

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

  ;; $present: 1 when the request carries the header (its value at [80], its size at [84])
  (func $present (result i32)
    (global.set $heap (i32.const 65536))  ;; one request at a time reads its value: start the heap again
    (i32.eqz (call $get_header (i32.const 0) (i32.const 16) (i32.const 7) (i32.const 80) (i32.const 84))))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32) (result i32)
    (if (call $present) (then (drop (call $descend (i32.const 0)))))
    (i32.const 0))

  ;; recurses without end: the VM's call stack runs out
  (func $descend (param $n i32) (result i32)
    (i32.add (call $descend (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))

  (func (export "proxy_on_done") (param $ctx i32) (result i32)
    (i32.const 1))
)
