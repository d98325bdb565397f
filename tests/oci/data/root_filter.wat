;; A proxy-wasm filter (ABI 0.2.1) that starts only under the root ids it registers:
;; "filter_root" and "second_root". Under any other root id proxy_on_configure returns false, so
;; Envoy refuses the plugin: the module a package must describe truthfully.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))

  (data (i32.const 16) "plugin_root_id")           ;; 14 bytes
  (data (i32.const 48) "filter_root")              ;; 11 bytes
  (data (i32.const 64) "second_root")              ;; 11 bytes
  (data (i32.const 80) "root id not registered")   ;; 22 bytes
  ;; 128: where the host writes the property's address, 132: its size

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $size)) (i32.const 7))
                               (i32.const -8)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 1)))))
    (local.get $ptr))

  (func $equal (param $a i32) (param $a_len i32) (param $b i32) (param $b_len i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $a_len) (local.get $b_len)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $a_len)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $b) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))

  (func (export "proxy_on_vm_start") (param $root i32) (param $vm_config_size i32) (result i32)
    (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $config_size i32) (result i32)
    (local $ptr i32)
    (local $len i32)
    (if (i32.ne (call $get_property (i32.const 16) (i32.const 14) (i32.const 128) (i32.const 132))
                (i32.const 0))
      (then (return (i32.const 0))))
    (local.set $ptr (i32.load (i32.const 128)))
    (local.set $len (i32.load (i32.const 132)))
    (if (i32.or (call $equal (local.get $ptr) (local.get $len) (i32.const 48) (i32.const 11))
                (call $equal (local.get $ptr) (local.get $len) (i32.const 64) (i32.const 11)))
      (then (return (i32.const 1))))
    (drop (call $proxy_log (i32.const 4) (i32.const 80) (i32.const 22)))
    (i32.const 0))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32)
    (result i32)
    (i32.const 0))

  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
