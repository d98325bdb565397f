"""How the module copes with each status a host call can return. SDKs that treat an unexpected status
as fatal panic, and in Envoy a panic fails the stream and the VM (https://github.com/envoyproxy/envoy/issues/26485, #33600)."""

from __future__ import annotations

from pytest_wasmhub.cases import MUST, SHOULD, case, not_applicable
from pytest_wasmhub.host.checks import (
    conformance_host,
    environment_statuses,
    first_calls,
    other_statuses,
    status_sweep,
)

METHOD = (
    " Method: for every host function the module calls while streams run and every such status, a fresh "
    "VM gets that status from each call of the function, and the standard requests run until the one "
    "that first made the call."
)


def _functions(module_host):
    host = module_host()
    functions = first_calls(host)
    if host.vm_failure is not None:
        not_applicable(f"the module fails on plain requests already: {host.vm_failure.describe()}")
    if not functions:
        not_applicable("the module makes no host call while streams run")
    return functions, host.abi_version


def _verdict(outcomes, advice: str) -> None:
    crashed = [o for o in outcomes if o.failure is not None]
    if crashed:
        raise AssertionError(advice + "\n" + "\n".join(o.describe() for o in crashed))


@case(
    "HOST-STATUS-001",
    area="host",
    level=MUST,
    title="The module survives the statuses Envoy really returns",
    spec="A module must not trap when a host call answers with a status Envoy returns to that call in that "
    "callback: NOT_FOUND (a missing header in ABI 0.2.x, property, key or queue), CAS_MISMATCH (a "
    "concurrent update), EMPTY (an empty queue), SERIALIZATION_FAILURE (a map-valued property such as "
    "'request'), BAD_ARGUMENT (an unknown cluster, an unknown context id)... Which status Envoy can "
    "answer is measured on real Envoy per host call, argument class, ABI version and callback phase, "
    "and only such a status is injected, only into such a call." + METHOD,
    reference="Envoy's answers table pytest_wasmhub/host/data/envoy-answers.json (measured by the answers "
    "probe); Envoy source/extensions/common/wasm/context.cc",
)
def test_survives_environment_statuses(wasm_module, module_host, host_options):
    functions, abi_version = _functions(module_host)
    outcomes = status_sweep(
        lambda: conformance_host(wasm_module, **host_options),
        functions,
        environment_statuses,
        abi_version,
        as_envoy=True,
    )
    if not outcomes:
        not_applicable("Envoy answers none of the module's host calls with a status other than OK")
    _verdict(
        outcomes,
        "handle these statuses as the normal outcomes they are (e.g. NOT_FOUND: the header is absent):",
    )


@case(
    "HOST-STATUS-002",
    area="host",
    level=SHOULD,
    title="The module survives any other status code",
    spec="A module should treat any other status as an error it handles, not a crash: every other code of "
    "Envoy's result enum, including those beyond the spec (5 BAD_EXPRESSION, 9 RESULT_MISMATCH, "
    "11 BROKEN_CONNECTION), INTERNAL_FAILURE (what Envoy's capability restriction answers for a "
    "forbidden call) and UNIMPLEMENTED (what other hosts answer)." + METHOD,
    reference="docs/host-facts.md#status-codes",
)
def test_survives_other_statuses(wasm_module, module_host, host_options):
    functions, abi_version = _functions(module_host)
    outcomes = status_sweep(
        lambda: conformance_host(wasm_module, **host_options), functions, other_statuses, abi_version
    )
    _verdict(outcomes, "return an error (or fall back) on an unknown status instead of trapping:")
