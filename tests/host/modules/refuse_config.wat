;; Returns false from proxy_on_configure when the plugin configuration is 6 bytes long (e.g. "reject"):
;; Envoy refuses to start ("Failed to configure base Wasm plugin").
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (i32.ne (local.get $size) (i32.const 6))))
