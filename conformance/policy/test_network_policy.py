"""Envoy's failure policies for a network (TCP) filter, as it implements them (measured on 1.36.2 and
1.40.0): a probe traps on a connection's first data; what do later connections get? Run on the suite's
probe, so these also check an Envoy build with `--wasm-host-check`."""

from __future__ import annotations

import time

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.connections import ConnectionOutcome, exchange_bytes
from pytest_wasmhub.expect import start_envoy

REFERENCE = "Envoy api extensions/wasm/v3 PluginConfig.failure_policy; docs/host-facts.md#network-filter-failure-policies"
BACKOFF_S = 0.2


def _after_a_trap(
    wasmhub_probe, envoy_factory, settings, **plugin
) -> tuple[ConnectionOutcome, ConnectionOutcome]:
    envoy = start_envoy(envoy_factory, wasmhub_probe("network_trap_on_data"), kind="network", **plugin)
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
def test_network_filter_fails_closed(wasmhub_probe, envoy_factory, tcp_upstream, wasmhub_settings):
    _, later = _after_a_trap(wasmhub_probe, envoy_factory, wasmhub_settings)
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
def test_network_filter_fails_open(wasmhub_probe, envoy_factory, tcp_upstream, wasmhub_settings):
    _, later = _after_a_trap(wasmhub_probe, envoy_factory, wasmhub_settings, failure_policy="FAIL_OPEN")
    assert later.received == b"a later connection\n" and later.trap is None, (
        f"a later connection should bypass the failed filter; {later.reason('a later connection')}"
    )


@case(
    "POLICY-NETWORK-RELOAD-001",
    area="policy",
    level=MUST,
    title="Network filter, FAIL_RELOAD: a fresh VM after the backoff",
    spec="With failure_policy FAIL_RELOAD, after a network filter traps later connections are reset during "
    "the reload backoff; after it the filter runs again in a new VM (here it traps again on the data).",
    reference=REFERENCE,
)
def test_network_filter_gets_a_fresh_vm(wasmhub_probe, envoy_factory, tcp_upstream, wasmhub_settings):
    _, during = _after_a_trap(
        wasmhub_probe, envoy_factory, wasmhub_settings, failure_policy="FAIL_RELOAD",
        reload_backoff_ms=int(BACKOFF_S * 1000),
    )  # fmt: skip
    assert during.received == b"" and during.trap is None, (
        f"during the backoff a connection should be refused; {during.reason('a connection in the backoff')}"
    )
    time.sleep(BACKOFF_S * 2.5)  # recovery is asserted only well after the backoff
    envoy = envoy_factory.started[-1]
    after = exchange_bytes(envoy, b"after the backoff\n", timeout=wasmhub_settings.request_timeout)
    assert after.trap is not None, (
        f"after the backoff the reloaded filter should run again; {after.reason('a connection')}"
    )
    assert envoy.stats().get("wasm.wasmhub.vm_reload_success", 0) >= 1, "Envoy did not count the reload"
