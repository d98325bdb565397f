"""Host calls the module makes where Envoy forbids or cannot serve them."""

from __future__ import annotations

from collections import Counter

from pytest_wasmhub.cases import MUST, SHOULD, case, not_applicable
from pytest_wasmhub.host import ModuleLoadError, StartError
from pytest_wasmhub.host.checks import conformance_host, is_http_filter, run_traffic
from pytest_wasmhub.host.trace import RESTRICTED, UNAVAILABLE


@case(
    "HOST-RESTRICT-001",
    area="host",
    level=MUST,
    title="No forbidden host call during start-up or allocation",
    spec="During _initialize/main/_start Envoy allows only proxy_log and WASI calls, and while it runs the "
    "module's allocator only proxy_log, fd_write, clock_time_get and poll_oneoff; any other call traps "
    "('restricted_callback'): at start-up Envoy refuses the module, in an allocation the VM fails.",
    reference="docs/host-facts.md#start-up-restrictions",
)
def test_no_restricted_calls(wasm_module, host_options, module_refusal):
    try:
        host = conformance_host(wasm_module, **host_options)
    except StartError as exc:
        if exc.failure is not None and exc.failure.kind == "restricted":
            raise AssertionError(
                f"move this call out of start-up (into proxy_on_vm_start or proxy_on_configure): {exc}"
            ) from None
        not_applicable(f"the module does not start in the in-process host ({exc})")
    except ModuleLoadError as exc:
        not_applicable(f"the module does not load in the in-process host ({exc})")
    try:
        if is_http_filter(host):
            run_traffic(host)
        restricted = host.trace.with_note(RESTRICTED)
        if restricted:
            raise AssertionError(
                "the allocator must not call the host beyond logging and the clock: "
                + "; ".join(f"{r.name} from {r.within}" for r in restricted)
            )
    finally:
        host.close()


@case(
    "HOST-RESTRICT-002",
    area="host",
    level=SHOULD,
    title="No host call aimed at something the callback cannot reach",
    spec="A module should not ask for a map or buffer outside the callbacks that own it: Envoy drops its "
    "access to the request headers once they go upstream (proxy_get_header_map_value then answers "
    "BAD_ARGUMENT, which SDKs turn into a panic), and has no stream in root callbacks.",
    reference="Envoy context.cc getMap/getConstMap (https://github.com/envoyproxy/envoy/blob/main/source/extensions/common/wasm/context.cc) (request_headers_ reset on Continue); https://github.com/envoyproxy/envoy/issues/26485",
)
def test_no_calls_to_unavailable_targets(module_host):
    host = module_host()
    run_traffic(host)
    missed = Counter((r.name, r.within, r.args.get("unavailable")) for r in host.trace.with_note(UNAVAILABLE))
    if missed:
        raise AssertionError(
            "read what you need while its callback runs (copy a request header in proxy_on_request_headers "
            "to use it later):\n"
            + "\n".join(
                f"{name} from {within}: {what} ({n}x)" for (name, within, what), n in sorted(missed.items())
            )
        )
