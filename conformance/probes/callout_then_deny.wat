;; Probe: a filter that asks the upstream itself (an HTTP callout to cluster "upstream", GET /authz)
;; and then denies every request with 403 once the callout answers. The upstream sees a request, but
;; not the suite's: TRAFFIC-FORWARD-001 must tell them apart by the suite's own request id and fail.
;; expect-fail: TRAFFIC-FORWARD-001
(module
  (import "env" "proxy_http_call"
    (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response"
    (func $local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_context (param i32) (result i32)))
  (memory (export "memory") 4)
  (global $heap (mut i32) (i32.const 98304))
  (global $calling (mut i32) (i32.const 0))  ;; the stream inside proxy_http_call right now
  (data (i32.const 16) "upstream")          ;; 8 bytes
  (data (i32.const 32) "wasmhub_callout_denied")  ;; 22 bytes
  (data (i32.const 64) "denied after asking the upstream\n")  ;; 33 bytes
  ;; serialized headers: 3 pairs (:method GET, :path /authz, :authority upstream)
  (data (i32.const 128)
    "\03\00\00\00"
    "\07\00\00\00" "\03\00\00\00"
    "\05\00\00\00" "\06\00\00\00"
    "\0a\00\00\00" "\08\00\00\00"
    ":method\00" "GET\00" ":path\00" "/authz\00" ":authority\00" "upstream\00")
  ;; 256: the callout token; 65536..98304: 4096 slots of {token, stream waiting for it}. Envoy answers
  ;; every callout on the root context and numbers callouts VM-wide (1.40.0: in steps of 4), so the token
  ;; is the only way back to the stream

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
    (global.set $calling (local.get $ctx))
    (if (call $http_call (i32.const 16) (i32.const 8) (i32.const 128) (i32.const 73)
                         (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                         (i32.const 2000) (i32.const 256))
      (then  ;; no callout was made: deny at once
        (drop (call $local_response (i32.const 403) (i32.const 32) (i32.const 22) (i32.const 64) (i32.const 33)
                                    (i32.const 0) (i32.const 0) (i32.const -1)))
        (return (i32.const 1))))
    (global.set $calling (i32.const 0))
    (i32.store (call $slot (i32.load (i32.const 256))) (i32.load (i32.const 256)))
    (i32.store (i32.add (call $slot (i32.load (i32.const 256))) (i32.const 4)) (local.get $ctx))
    (i32.const 1))
  (func $slot (param $token i32) (result i32)
    (i32.add (i32.const 65536) (i32.shl (i32.and (local.get $token) (i32.const 4095)) (i32.const 3))))
  ;; the stream waiting for $token; a callout that fails at once is answered inside proxy_http_call
  (func $waiting (param $token i32) (result i32)
    (if (result i32) (i32.ne (global.get $calling) (i32.const 0))
      (then (global.get $calling))
      (else (i32.load (i32.add (call $slot (local.get $token)) (i32.const 4))))))
  ;; answer the stream that made this callout (Envoy calls back with the root context's id)
  (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $headers i32)
                                                (param $body i32) (param $trailers i32)
    (drop (call $set_context (call $waiting (local.get $token))))
    (drop (call $local_response (i32.const 403) (i32.const 32) (i32.const 22) (i32.const 64) (i32.const 33)
                                (i32.const 0) (i32.const 0) (i32.const -1))))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
)
