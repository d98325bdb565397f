"""Envoy's failure policies for a network (TCP) filter, as it implements them (measured on 1.36.2 and
1.40.0): a probe traps on a connection's first data; what do later connections get? Run on the suite's
probe, so these also check an Envoy build with `--wasm-host-check`; each on a listener of its own, with
the probe in its own VM, of one shared Envoy (pytest_wasmhub.shared_probes)."""

from __future__ import annotations

import time

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.connections import ConnectionOutcome, exchange_bytes
from pytest_wasmhub.shared_probes import probe_plugin, shared_listener
from pytest_wasmhub.timing import timed

REFERENCE = "Envoy api extensions/wasm/v3 PluginConfig.failure_policy; docs/host-facts.md#network-filter-failure-policies"
BACKOFF_S = 0.05
RECOVERY_S = 1.0  # how long a new VM may take after the backoff (a loaded machine's timers lag)
TRAPS_ON_DATA = "network_trap_on_data"
CLOSED = shared_listener("policy-network-closed", probe_plugin(TRAPS_ON_DATA), kind="network")
OPEN = shared_listener(
    "policy-network-open", probe_plugin(TRAPS_ON_DATA, failure_policy="FAIL_OPEN"), kind="network"
)
RELOAD = shared_listener(
    "policy-network-reload",
    probe_plugin(TRAPS_ON_DATA, failure_policy="FAIL_RELOAD", reload_backoff_ms=int(BACKOFF_S * 1000)),
    kind="network",
)


def _after_a_trap(wasmhub_probe_envoy, settings, listener) -> tuple[ConnectionOutcome, ConnectionOutcome]:
    envoy = wasmhub_probe_envoy(listener)
    first = exchange_bytes(envoy, b"the first data traps\n", timeout=settings.request_timeout)
    assert first.trap is not None and first.trap.callback == "proxy_on_downstream_data", (
        f"the probe did not trap as expected: {first.reason('the first connection')}"
    )
    later = exchange_bytes(envoy, b"a later connection\n", timeout=settings.request_timeout)
    return first, later


@case(
    "POLICY-NETWORK-CLOSED-001",
    area="policy",
    level=MUST,
    title="Network filter, no policy: later connections are refused",
    spec="With no failure policy (or FAIL_CLOSED), after a network filter traps its connection is closed "
    "and every later connection through it is reset without reaching the upstream.",
    reference=REFERENCE,
)
def test_network_filter_fails_closed(wasmhub_probe_envoy, tcp_upstream, wasmhub_settings):
    _, later = _after_a_trap(wasmhub_probe_envoy, wasmhub_settings, CLOSED)
    assert later.received == b"" and later.ended in ("reset", "closed"), (
        f"a later connection should be refused; {later.reason('a later connection')}"
    )
    assert tcp_upstream.received == b"", f"the upstream got {tcp_upstream.received!r} through a failed filter"


@case(
    "POLICY-NETWORK-OPEN-001",
    area="policy",
    level=MUST,
    title="Network filter, FAIL_OPEN: later connections bypass it",
    spec="With failure_policy FAIL_OPEN, after a network filter traps later connections pass without it: "
    "their bytes reach the upstream and come back.",
    reference=REFERENCE,
)
def test_network_filter_fails_open(wasmhub_probe_envoy, tcp_upstream, wasmhub_settings):
    _, later = _after_a_trap(wasmhub_probe_envoy, wasmhub_settings, OPEN)
    assert later.received == b"a later connection\n" and later.trap is None, (
        f"a later connection should bypass the failed filter; {later.reason('a later connection')}"
    )


@case(
    "POLICY-NETWORK-RELOAD-001",
    area="policy",
    level=MUST,
    title="Network filter, FAIL_RELOAD: a fresh VM after the backoff",
    spec="With failure_policy FAIL_RELOAD, after a network filter traps the filter runs again in a new VM "
    "once the reload backoff has passed (here it traps again on the data); the backoff runs from the VM's "
    "last start, so right after a reload later connections are reset until it has passed.",
    reference=REFERENCE,
)
def test_network_filter_gets_a_fresh_vm(wasmhub_probe_envoy, tcp_upstream, wasmhub_settings):
    envoy = wasmhub_probe_envoy(RELOAD)

    def connect(data: bytes) -> ConnectionOutcome:
        return exchange_bytes(envoy, data, timeout=wasmhub_settings.request_timeout)

    def run_by_a_new_vm() -> float:
        """Connect until the filter runs again (and traps again: the probe traps on any data); when the
        connection that met the new VM started."""
        deadline = time.monotonic() + BACKOFF_S + RECOVERY_S
        while True:
            started = time.monotonic()
            again = connect(b"until a new VM runs\n")
            if again.trap is not None or time.monotonic() > deadline:
                break
            with timed("wait"):  # the backoff, chosen short by the suite
                time.sleep(0.01)
        assert again.trap is not None, (
            f"no new VM ran the filter within {BACKOFF_S + RECOVERY_S:g} s; {again.reason('the last connection')}"
        )
        return started

    first = connect(b"the first data traps\n")
    assert first.trap is not None and first.trap.callback == "proxy_on_downstream_data", (
        f"the probe did not trap as expected: {first.reason('the first connection')}"
    )
    # this reload may come at once: the backoff runs from the VM's start, long past on a shared Envoy
    reloaded_after = run_by_a_new_vm()  # ... and that VM trapped again at once
    during_at = time.monotonic()
    during = connect(b"a connection in the backoff\n")
    if during_at - reloaded_after < BACKOFF_S / 2:  # the backoff ran at least its base (measured)
        assert during.received == b"" and during.trap is None, (
            f"right after a reload a connection should be refused; {during.reason('a connection in the backoff')}"
        )
    run_by_a_new_vm()
    reloads = envoy.stats().get(f"wasm.{RELOAD}.vm_reload_success", 0)
    assert reloads >= 2, f"Envoy counted {reloads} reloads (vm_reload_success) for two traps"
