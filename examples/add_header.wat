;; An example proxy-wasm filter (ABI 0.2.1), small enough to read in one go.
;;
;; On each request it adds the header "x-wasmhub-seen: 1" before the request goes upstream,
;; and on each response it adds "x-wasmhub-example: hello". At configure time it logs one info line
;; with the size of the plugin configuration it was given.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value"
    (func $add_header (param i32 i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))

  (data (i32.const 16) "x-wasmhub-seen")      ;; 14 bytes
  (data (i32.const 32) "1")                    ;;  1 byte
  (data (i32.const 48) "x-wasmhub-example")   ;; 17 bytes
  (data (i32.const 80) "hello")                ;;  5 bytes
  (data (i32.const 96) "add_header example configured") ;; 29 bytes

  ;; Marks the ABI version this module speaks; the host never calls it.
  (func (export "proxy_abi_version_0_2_1"))

  ;; The host asks for guest memory to copy data in; a bump allocator is enough for an example.
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $size)) (i32.const 7))
                               (i32.const -8)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 1)))))
    (local.get $ptr))

  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))

  (func (export "proxy_on_vm_start") (param $root i32) (param $vm_config_size i32) (result i32)
    (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $config_size i32) (result i32)
    (drop (call $proxy_log (i32.const 2) (i32.const 96) (i32.const 29)))
    (i32.const 1))

  ;; map type 0 = request headers; return 0 = continue
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $headers i32) (param $eos i32)
    (result i32)
    (drop (call $add_header (i32.const 0) (i32.const 16) (i32.const 14) (i32.const 32) (i32.const 1)))
    (i32.const 0))

  ;; map type 2 = response headers
  (func (export "proxy_on_response_headers") (param $ctx i32) (param $headers i32) (param $eos i32)
    (result i32)
    (drop (call $add_header (i32.const 2) (i32.const 48) (i32.const 17) (i32.const 80) (i32.const 5)))
    (i32.const 0))

  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
