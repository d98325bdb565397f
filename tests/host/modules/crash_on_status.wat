;; Counts requests in shared data with compare-and-swap, the way an SDK that panics on "unexpected
;; status" does: it traps unless proxy_get_shared_data answers OK or NOT_FOUND and unless
;; proxy_set_shared_data answers OK (a CAS_MISMATCH from a concurrent worker crashes it).
;; Fine on plain traffic; HOST-STATUS-001 (CAS_MISMATCH) and HOST-STATUS-002 must fail it.
(module
  (import "env" "proxy_get_shared_data" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $set (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "requests")
  (data (i32.const 32) "n")

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (local $status i32)
    (i32.store (i32.const 12) (i32.const 0))
    (local.set $status (call $get (i32.const 16) (i32.const 8) (i32.const 4) (i32.const 8) (i32.const 12)))
    (if (i32.gt_u (local.get $status) (i32.const 1)) (then unreachable))
    (if (call $set (i32.const 16) (i32.const 8) (i32.const 32) (i32.const 1) (i32.load (i32.const 12)))
      (then unreachable))
    (i32.const 0))

  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1)))
