"""Write small probe modules as WebAssembly text: a working HTTP filter plus the imports, exports or
start-up calls a test wants Envoy to judge."""

from __future__ import annotations

from pytest_wasmhub.abi import Signature, load_abi, marker_name

ZERO = {"i32": "(i32.const 0)", "i64": "(i64.const 0)", "f32": "(f32.const 0)", "f64": "(f64.const 0)"}
BASE_EXPORTS = (
    "proxy_on_memory_allocate",
    "proxy_on_context_create",
    "proxy_on_vm_start",
    "proxy_on_configure",
    "proxy_on_request_headers",
)


def functype(signature: Signature) -> str:
    params = f" (param {' '.join(signature.params)})" if signature.params else ""
    results = f" (result {' '.join(signature.results)})" if signature.results else ""
    return params + results


RETURN_TRUE = ("proxy_on_vm_start", "proxy_on_configure", "proxy_on_done", "proxy_validate_configuration")


def body(name: str, signature: Signature) -> str:
    """Return zero (CONTINUE), or true for the callbacks whose false would stop the VM or the stream."""
    if name in ("proxy_on_memory_allocate", "malloc"):
        return "(i32.const 1024)"
    return " ".join("(i32.const 1)" if name in RETURN_TRUE else ZERO[t] for t in signature.results)


def probe_module(
    version: str,
    *,
    imports: dict[tuple[str, str], Signature] | None = None,
    exports: dict[str, Signature] | None = None,
    initialize_calls: tuple[tuple[str, str], ...] = (),
    log_callbacks: bool = False,
) -> str:
    """A module of ABI ``version`` that Envoy accepts, plus ``imports`` and ``exports`` (which replace the
    base callbacks of the same name); ``_initialize`` calls ``initialize_calls`` with zero arguments.
    With ``log_callbacks`` every exported callback logs its own name through proxy_log."""
    abi = load_abi(version)
    imports = dict(imports or {})
    if log_callbacks:
        imports.setdefault(("env", "proxy_log"), abi.host_functions["proxy_log"])
    wanted = {name: abi.callbacks[name] for name in BASE_EXPORTS}
    wanted.update(exports or {})
    lines = ["(module"]
    index = {}
    for i, ((module, name), signature) in enumerate(imports.items()):
        index[(module, name)] = f"$import{i}"
        lines.append(f'  (import "{module}" "{name}" (func $import{i}{functype(signature)}))')
    lines.append('  (memory (export "memory") 1)')
    names = sorted(wanted)
    lines.append(f'  (data (i32.const 0) "{"".join(n + "|" for n in names)}")')
    lines.append(f'  (func (export "{marker_name(version)}"))')
    offset = 0
    for name in names:
        signature = wanted[name]
        log = ""
        if log_callbacks and name.startswith("proxy_on_") and name != "proxy_on_memory_allocate":
            message = f"(i32.const {offset}) (i32.const {len(name)})"
            log = f"(drop (call {index[('env', 'proxy_log')]} (i32.const 2) {message}))"
        lines.append(f'  (func (export "{name}"){functype(signature)} {log} {body(name, signature)})')
        offset += len(name) + 1
    if initialize_calls:
        calls = []
        for key in initialize_calls:
            signature = imports[key]
            args = " ".join(ZERO[t] for t in signature.params)
            calls.append(f"(call {index[key]} {args})" + (" drop" if signature.results else ""))
        lines.append(f'  (func (export "_initialize") {" ".join(calls)})')
    lines.append(")")
    return "\n".join(lines)


def wrong(signature: Signature) -> Signature:
    """The same function with one more i64 parameter: a type no host links or calls."""
    return Signature((*signature.params, "i64"), signature.results)
