"""A trapping network filter must not take the proxy down: checked with the suite's own probe, so it also
runs with `--wasm-host-check` and no module of the user's; on a listener of its own of the shared network
probe Envoy (pytest_wasmhub.shared_probes)."""

from __future__ import annotations

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.connections import exchange_bytes
from pytest_wasmhub.shared_probes import probe_plugin, shared_listener

TRAPS = shared_listener("network-isolation", probe_plugin("network_trap_on_data"), kind="network")


@case(
    "NETWORK-ISOLATION-001",
    area="network",
    level=MUST,
    title="A trapping network filter fails only its own connections",
    spec="After a trap in proxy_on_downstream_data Envoy closes that connection and logs the trap "
    "(function and reason); the process stays alive and LIVE, and a TCP listener without the module keeps "
    "passing bytes.",
    reference="docs/host-facts.md#a-trap-fails-the-stream; docs/host-facts.md#vm-failure-is-contained",
)
def test_a_network_trap_stays_inside_the_extension(wasmhub_probe_envoy, tcp_upstream, wasmhub_settings):
    envoy = wasmhub_probe_envoy(TRAPS)
    trapped = exchange_bytes(envoy, b"the first data traps\n", timeout=wasmhub_settings.request_timeout)
    assert trapped.trap is not None and trapped.trap.callback == "proxy_on_downstream_data", (
        f"expected Envoy to log a trap in proxy_on_downstream_data; {trapped.reason('the trapping data')}"
    )
    assert trapped.ended in ("closed", "reset") and not trapped.received, (
        f"the trapping connection should be closed without data; {trapped.reason('the trapping data')}"
    )
    assert envoy.exit_code() is None and envoy.ready(), (
        "isolation broken: Envoy is not alive and LIVE after the trap"
    )
    plain = exchange_bytes(
        envoy,
        b"no module here\n",
        timeout=wasmhub_settings.request_timeout,
        listener=envoy.passthrough_listener("network"),
    )
    assert plain.received == b"no module here\n" and plain.ended == "closed", (
        f"the listener without the module: {plain.reason('bytes without the module')}"
    )
