"""Envoy's failure policies, as it really implements them (measured on 1.36 to 1.40).

Each case runs the suite's probe module that traps on /crash, so they check the Envoy build itself
and also run with `--wasm-host-check`. Each has a listener of its own, with the probe in its own VM,
on one shared Envoy (pytest_wasmhub.shared_probes)."""

from __future__ import annotations

import time

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.envoy import EnvoyStartError
from pytest_wasmhub.shared_probes import own_probe_envoy, probe_plugin, shared_listener
from pytest_wasmhub.timing import timed

REFERENCE = "Envoy api extensions/wasm/v3 PluginConfig.failure_policy; docs/host-facts.md#failure-policies"
TRAPS_ON_CRASH = "trap_on_crash_path"
DEFAULT = shared_listener("policy-default", probe_plugin(TRAPS_ON_CRASH, configuration="probe"))
CLOSED = shared_listener(
    "policy-closed", probe_plugin(TRAPS_ON_CRASH, configuration="probe", failure_policy="FAIL_CLOSED")
)
OPEN = shared_listener(
    "policy-open", probe_plugin(TRAPS_ON_CRASH, configuration="probe", failure_policy="FAIL_OPEN")
)
DEPRECATED_OPEN = shared_listener(
    "policy-fail-open", probe_plugin(TRAPS_ON_CRASH, configuration="probe", fail_open=True)
)
# a short back-off the suite chooses (reload_config.backoff): the case checks the mechanism, not
# Envoy's default of 1 s
RELOAD_BACKOFF_S = 0.05
# how long a new VM may take after the backoff before the case gives up (a loaded machine's timers lag)
RECOVERY_S = 1.0
RELOAD = shared_listener(
    "policy-reload",
    probe_plugin(
        TRAPS_ON_CRASH,
        configuration="probe",
        failure_policy="FAIL_RELOAD",
        reload_backoff_ms=int(RELOAD_BACKOFF_S * 1000),
    ),
)

BOTH_FIELDS = own_probe_envoy(
    "policy-conflict", probe_plugin(TRAPS_ON_CRASH, fail_open=True, failure_policy="FAIL_CLOSED")
)


def _probe_envoy(wasmhub_probe_envoy, wasmhub_probe_traffic, listener):
    envoy = wasmhub_probe_envoy(listener)
    traffic = wasmhub_probe_traffic(envoy)
    served = traffic.send("GET", "/before")
    assert served.headers.get("x-probe") == "probe", "the probe module did not run before the trap"
    return envoy, traffic


def _statuses(traffic, paths):
    return [traffic.exchange("GET", path).response for path in paths]


def _own_counters(envoy, plugin):
    """Envoy's counters of this plugin only (wasm.<plugin name>.*): the shared Envoy has others."""
    prefix = f"wasm.{plugin}."
    return {k: v for k, v in envoy.stats().items() if k.startswith(prefix)}


def _assert_fails_closed(traffic, envoy, policy, plugin):
    crashed, *later = _statuses(traffic, ["/crash", "/later-1", "/later-2"])
    assert crashed.status_code == 503, f"with {policy}, the trapping request got {crashed.status_code}"
    assert [r.status_code for r in later] == [503, 503], (
        f"with {policy}, requests after the trap should get 503 until restart; got {[r.status_code for r in later]}"
    )
    nowasm = traffic.exchange("GET", "/__wasmhub/nowasm/x").response
    assert nowasm.status_code == 200, f"a route without the filter answered {nowasm.status_code}"
    reloads = {k: v for k, v in _own_counters(envoy, plugin).items() if ".vm_reload" in k and v}
    assert not reloads, f"with {policy} nothing is reloaded, but Envoy counted {reloads}"


@case(
    "POLICY-DEFAULT-001",
    area="policy",
    level=MUST,
    title="No policy set: the plugin fails closed",
    spec="With no failure policy, a trap fails the stream with 503 and every later stream through the "
    "plugin also gets 503 until Envoy restarts; routes without the plugin are unaffected.",
    reference=REFERENCE,
)
def test_default_fails_closed(wasmhub_probe_envoy, wasmhub_probe_traffic):
    envoy, traffic = _probe_envoy(wasmhub_probe_envoy, wasmhub_probe_traffic, DEFAULT)
    _assert_fails_closed(traffic, envoy, "no failure policy", DEFAULT)


@case(
    "POLICY-CLOSED-001",
    area="policy",
    level=MUST,
    title="FAIL_CLOSED: 503 for the trap and after",
    spec="With failure_policy FAIL_CLOSED, the trapping request and all later ones through the plugin "
    "get 503; other routes are unaffected.",
    reference=REFERENCE,
)
def test_fail_closed(wasmhub_probe_envoy, wasmhub_probe_traffic):
    envoy, traffic = _probe_envoy(wasmhub_probe_envoy, wasmhub_probe_traffic, CLOSED)
    _assert_fails_closed(traffic, envoy, "FAIL_CLOSED", CLOSED)


@case(
    "POLICY-OPEN-001",
    area="policy",
    level=MUST,
    title="FAIL_OPEN: later requests bypass the filter",
    spec="With failure_policy FAIL_OPEN the trapping request itself gets 503 and later requests bypass "
    "the failed filter (200, without the module's headers).",
    reference=REFERENCE,
)
def test_fail_open(wasmhub_probe_envoy, wasmhub_probe_traffic):
    _, traffic = _probe_envoy(wasmhub_probe_envoy, wasmhub_probe_traffic, OPEN)
    crashed, later = _statuses(traffic, ["/crash", "/later"])
    assert crashed.status_code == 503, (
        f"with FAIL_OPEN the trapping request got {crashed.status_code} (measured: 503)"
    )
    assert later.status_code == 200, f"with FAIL_OPEN a later request got {later.status_code}"
    assert "x-probe" not in later.headers, "with FAIL_OPEN the failed filter should be bypassed, but it ran"


@case(
    "POLICY-FAILOPEN-001",
    area="policy",
    level=MUST,
    title="Deprecated fail_open: true passes even the trapping request",
    spec="With the deprecated boolean fail_open: true the request that trapped is passed through (200, "
    "filter bypassed), unlike FAIL_OPEN; later requests bypass the filter too.",
    reference=REFERENCE,
)
def test_deprecated_fail_open(wasmhub_probe_envoy, wasmhub_probe_traffic):
    envoy, traffic = _probe_envoy(wasmhub_probe_envoy, wasmhub_probe_traffic, DEPRECATED_OPEN)
    crashed, later = _statuses(traffic, ["/crash", "/later"])
    assert crashed.status_code == 200, f"with fail_open: true the trapping request got {crashed.status_code}"
    assert later.status_code == 200 and "x-probe" not in later.headers, (
        "later requests should bypass the filter"
    )
    assert "fail_open" in envoy.logs(), "Envoy did not warn that fail_open is deprecated"


@case(
    "POLICY-RELOAD-001",
    area="policy",
    level=MUST,
    title="FAIL_RELOAD: a fresh VM after the backoff",
    spec="With failure_policy FAIL_RELOAD a trapping request gets 503 and the next request after the "
    "reload backoff runs in a new VM (guest state reset); the backoff runs from the VM's last start, so "
    "a trap right after a reload gets 503 for later requests until it has passed, and "
    "vm_reload_success counts each reload.",
    reference=REFERENCE + " (recovery about one base_interval after the last reload)",
)
def test_fail_reload(wasmhub_probe_envoy, wasmhub_probe_traffic):
    backoff = RELOAD_BACKOFF_S  # assert 503 only well before it, and recovery only after it
    envoy, traffic = _probe_envoy(wasmhub_probe_envoy, wasmhub_probe_traffic, RELOAD)
    assert traffic.send("GET", "/second").headers.get("x-count") == "2"

    def served_by_a_new_vm(doing: str) -> float:
        """Wait for the first request a new VM serves after a trap; when it served it."""
        deadline = time.monotonic() + backoff + RECOVERY_S
        while True:
            response = traffic.exchange("GET", "/after-backoff").response
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            with timed("wait"):  # the backoff, chosen short by the suite
                time.sleep(0.01)
        assert response.status_code == 200, (
            f"no request succeeded within {backoff + RECOVERY_S:g} s after {doing}"
        )
        assert response.headers.get("x-count") == "1", (
            f"after {doing} the reloaded VM should start fresh (x-count 1); x-count is "
            f"{response.headers.get('x-count')}"
        )
        return time.monotonic()

    crashed = traffic.exchange("GET", "/crash").response
    assert crashed.status_code == 503, f"the trapping request got {crashed.status_code}"
    # this reload may come at once: the backoff runs from the VM's start, long past on a shared Envoy
    reloaded_at = served_by_a_new_vm("a trap")
    refusals = f"wasm.{RELOAD}.vm_reload_backoff"
    refused_before = _own_counters(envoy, RELOAD).get(refusals, 0)
    crashed, during = _statuses(traffic, ["/crash", "/during-backoff"])
    assert crashed.status_code == 503, f"a trap right after the reload got {crashed.status_code}"
    if time.monotonic() - reloaded_at < backoff / 2:  # the backoff ran at least its base (measured)
        assert during.status_code == 503, (
            f"a request in the backoff after a reload got {during.status_code}; expected 503"
        )
        refused = _own_counters(envoy, RELOAD).get(refusals, 0) - refused_before
        assert refused >= 1, "Envoy did not count the request it refused in the backoff (vm_reload_backoff)"
    if during.status_code == 200:
        # the machine was slow enough that the backoff had passed: the new VM served this one first
        assert during.headers.get("x-count") == "1", (
            f"after a trap right after a reload the reloaded VM should start fresh (x-count 1); x-count "
            f"is {during.headers.get('x-count')}"
        )
    else:
        served_by_a_new_vm("a trap right after a reload")
    reloads = _own_counters(envoy, RELOAD).get(f"wasm.{RELOAD}.vm_reload_success", 0)
    assert reloads >= 2, f"Envoy counted {reloads} reloads (vm_reload_success) for two traps"


@case(
    "POLICY-CONFLICT-001",
    area="policy",
    level=MUST,
    title="fail_open and failure_policy together are refused",
    spec="Setting both the deprecated fail_open and failure_policy is a configuration error: Envoy refuses "
    "to start and says so.",
    reference=REFERENCE,
)
def test_both_fields_are_refused(wasmhub_probe_start):
    try:
        wasmhub_probe_start(BOTH_FIELDS)
    except EnvoyStartError as refused:
        assert "only one of fail_open or failure_policy can be set" in refused.reason, refused.reason
    else:
        raise AssertionError("Envoy started with both fail_open and failure_policy set")
