;; A hostile module: on each request it grows its linear memory 1 MiB at a time until the VM's cap
;; (1 GiB in Envoy) and writes to every 4 KiB page, so the pages are really allocated. Under a
;; container memory limit below that, the kernel's OOM killer ends Envoy first.
(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 1024))

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.and (i32.add (local.get $size) (i32.const 7))
                                                           (i32.const -8))))
    (local.get $ptr))

  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32)
    (result i32)
    (local $page i32)   ;; first new 64 KiB page of the latest grow, or -1 when the cap is reached
    (local $addr i32)
    (local $end i32)
    (block $capped
      (loop $grow
        (local.set $page (memory.grow (i32.const 16)))
        (br_if $capped (i32.eq (local.get $page) (i32.const -1)))
        (local.set $addr (i32.mul (local.get $page) (i32.const 65536)))
        (local.set $end (i32.add (local.get $addr) (i32.const 1048576)))
        (loop $touch
          (i32.store8 (local.get $addr) (i32.const 1))
          (local.set $addr (i32.add (local.get $addr) (i32.const 4096)))
          (br_if $touch (i32.lt_u (local.get $addr) (local.get $end))))
        (br $grow)))
    (i32.const 0))

  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
