"""A plain stream through the module in the in-process host: it completes, every callback answers
with a value the ABI defines, and no callback runs away with the CPU."""

from __future__ import annotations

from pytest_wasmhub.cases import MUST, case, not_applicable
from pytest_wasmhub.host.callbacks import valid_results
from pytest_wasmhub.host.checks import CONFORMANCE_FUEL, STANDARD_TRAFFIC, run_traffic
from pytest_wasmhub.host.trace import CALLBACK, INVALID_RESULT

TRAFFIC = "a GET, a POST with a two-chunk body, and a PUT with a body and trailers"


@case(
    "HOST-LIFECYCLE-001",
    area="host",
    level=MUST,
    title="Plain requests pass through the module to the end",
    spec="Through Envoy's HTTP lifecycle (context create, headers, body, trailers, response, log, done, "
    f"delete) with {TRAFFIC}, callouts answered 200: no callback traps and every stream completes.",
    reference="docs/host-facts.md#callback-order; docs/host-facts.md#a-trap-fails-the-vm-for-the-worker",
)
def test_plain_requests_complete(module_host):
    host = module_host()
    for request, result in zip(STANDARD_TRAFFIC, run_traffic(host), strict=False):
        if result.failure is not None:
            raise AssertionError(
                f"{request.note}: {result.failure.describe()}\nFix the trap: in Envoy this stream gets a 503 "
                f"and, without FAIL_RELOAD, so does every later stream on that worker.\n{host.report()}"
            )
        if result.stalled_at is not None:
            raise AssertionError(
                f"{request.note}: the stream never completes: after {result.stalled_at} paused it, the module "
                "did not call proxy_continue_stream (Envoy holds such a request until it times out).\n"
                f"{host.report()}"
            )


@case(
    "HOST-ACTION-001",
    area="host",
    level=MUST,
    title="Callbacks return only values the ABI defines",
    spec="HTTP callbacks return a proxy_action_t (CONTINUE 0 or PAUSE 1); proxy_on_vm_start, "
    "proxy_on_configure and proxy_on_done return a boolean (0 or 1). Envoy reads any other value as one "
    "of its own filter statuses (e.g. 2 ends the stream, 3 and 4 stop all iteration).",
    reference="https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#types; docs/host-facts.md#callback-results",
)
def test_callbacks_return_valid_values(module_host):
    host = module_host()
    run_traffic(host)
    checked = [
        r
        for r in host.trace
        if r.kind == CALLBACK and valid_results(r.name) is not None and r.failure is None
    ]
    if not checked:
        not_applicable("no callback returned a value before the module failed")
    wrong = sorted({(r.name, r.result) for r in host.trace.with_note(INVALID_RESULT)})
    if wrong:
        raise AssertionError(
            "return CONTINUE (0) or PAUSE (1) from HTTP callbacks and 0/1 from the boolean ones; the module "
            "returned " + ", ".join(f"{value} from {name}" for name, value in wrong)
        )


@case(
    "HOST-BUDGET-001",
    area="host",
    level=MUST,
    title="No callback runs away with the CPU",
    spec=f"Each callback finishes within {CONFORMANCE_FUEL:,} wasm instructions on {TRAFFIC}. Envoy has no "
    "execution limit: a callback that loops wedges its worker thread for good, including other listeners.",
    reference="docs/host-facts.md#no-cpu-limit",
)
def test_callbacks_stay_within_budget(module_host):
    host = module_host()
    run_traffic(host)
    spent = [f for f in host.failures if f.kind == "budget"]
    if spent:
        failure = spent[0]
        raise AssertionError(
            f"{failure.callback} ran past {CONFORMANCE_FUEL:,} instructions and was stopped "
            f"(in Envoy it would never return): {failure.describe()}"
        )
    if host.failures:
        not_applicable(f"the module failed before the budget could be checked: {host.failures[0].describe()}")
