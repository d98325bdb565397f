"""A failing extension must not take the proxy down: the promise that makes Wasm extensions worth having.

ISOLATION-CRASH-001 holds the module under test to it. The other cases check the host with the suite's
own probe modules, so they also run with `--wasm-host-check` and no module of the user's; each on a
listener of its own, with its probes in VMs of their own, of one shared Envoy (pytest_wasmhub.shared_probes)."""

from __future__ import annotations

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.shared_probes import probe_plugin, shared_listener

FACTS = "docs/host-facts.md#"
TRAP_LINE = "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable"
TRAPS = shared_listener("isolation-trap", probe_plugin("trap_on_crash_path", configuration="probe"))
TWO_VMS = shared_listener(
    "isolation-vm",
    probe_plugin(
        "trap_on_crash_path", name="first", vm_id="first", configuration="first", failure_policy="FAIL_OPEN"
    ),
    probe_plugin("trap_on_crash_path", name="second", vm_id="second", configuration="second"),
)
OUT_OF_BOUNDS = shared_listener("isolation-oob", probe_plugin("oob_host_call"))


@case(
    "ISOLATION-CRASH-001",
    area="isolation",
    level=MUST,
    title="The module never takes Envoy down or wedges it",
    spec="Under ordinary and unusual traffic the Envoy process stays alive, admin /ready stays LIVE and a "
    "listener without the module keeps answering (a trap or a request the module holds forever stays "
    "inside the extension and is judged by the traffic cases). Two modules are known to break this: one "
    "without an "
    "exported memory (Envoy segfaults at its first host call) and one that loops in a callback (its worker "
    "thread is wedged; Envoy has no execution time limit).",
    reference=f"{FACTS}no-memory-export-crashes-envoy; {FACTS}no-cpu-limit",
)
def test_module_keeps_envoy_alive(traffic):
    # only a death or a wedge fails this case: a trap or a hang stays inside the extension
    traffic.probe("GET", "/conformance/isolation")
    traffic.probe("POST", "/conformance/isolation", content=b"x" * 100_000)
    traffic.probe(
        "GET", "/conformance/isolation", headers=[(b"x-empty", b""), (b"x-odd", b"\xff")], http2=True
    )
    traffic.assert_alive("GET, POST and an odd HTTP/2 request through the module")


@case(
    "ISOLATION-TRAP-001",
    area="isolation",
    level=MUST,
    title="A trapping module fails only its own streams",
    spec="After a trap in proxy_on_request_headers the stream gets a local 503, Envoy logs the trap "
    "(function and reason), the process stays alive and LIVE, and a listener and a route without the "
    "module keep answering 200.",
    reference=f"{FACTS}a-trap-fails-the-stream",
)
def test_trap_stays_inside_the_extension(wasmhub_probe_envoy, wasmhub_probe_traffic):
    envoy = wasmhub_probe_envoy(TRAPS)
    traffic = wasmhub_probe_traffic(envoy)
    assert traffic.send("GET", "/before").headers.get("x-probe") == "probe", "the probe module did not run"
    crashed = traffic.exchange("GET", "/crash")
    assert crashed.status == 503, f"the trapping request got {crashed.status}"
    assert crashed.record is not None and crashed.record.details == "wasm_fail_stream", (
        f"Envoy's record of the trapping request: {crashed.record}; expected details wasm_fail_stream"
    )
    logged = f"Function: {crashed.trap.callback} failed: {crashed.trap.text}" if crashed.trap else None
    assert logged == TRAP_LINE, f"Envoy did not log the trap as {TRAP_LINE!r}; it logged {logged!r}"
    traffic.assert_alive("a trap in proxy_on_request_headers")
    nowasm = traffic.exchange("GET", "/__wasmhub/nowasm/after-trap").response
    assert nowasm.status_code == 200, f"a route with the filter disabled answered {nowasm.status_code}"
    with envoy.new_client(envoy.passthrough_url, timeout=traffic.timeout) as client:
        plain = client.get("/after-trap")
    assert plain.status_code == 200, f"the listener without Wasm answered {plain.status_code}"


@case(
    "ISOLATION-VM-001",
    area="isolation",
    level=MUST,
    title="A trap in one VM leaves a plugin in another VM working",
    spec="Two plugins in one filter chain, in VMs with different vm_id: after the first traps (FAIL_OPEN), "
    "the second still runs on every request with its state intact.",
    reference=f"Envoy VmConfig.vm_id (plugins with different vm_id run in different VMs); {FACTS}vm-failure-is-contained",
)
def test_other_vm_keeps_working(wasmhub_probe_envoy, wasmhub_probe_traffic):
    envoy = wasmhub_probe_envoy(TWO_VMS)
    traffic = wasmhub_probe_traffic(envoy)
    before = traffic.send("GET", "/before")
    assert sorted(before.headers.get_list("x-probe")) == ["first", "second"], "both plugins should run"
    traffic.exchange("GET", "/crash")
    after = traffic.exchange("GET", "/after").response
    assert after.status_code == 200, f"after the first plugin trapped, a request got {after.status_code}"
    assert after.headers.get_list("x-probe") == ["second"], (
        f"expected only the second plugin to run after the first trapped; x-probe is "
        f"{after.headers.get_list('x-probe')}"
    )
    assert after.headers.get("x-count") == "2", (
        f"the second plugin's VM lost its state: x-count is {after.headers.get('x-count')}, expected 2"
    )


@case(
    "ISOLATION-OOB-001",
    area="isolation",
    level=MUST,
    title="Host calls with out-of-bounds pointers return an error code",
    spec="A host call given a pointer outside the module's memory returns INVALID_MEMORY_ACCESS (6) to "
    "the module instead of crashing the proxy or trapping.",
    reference=f"proxy-wasm spec v0.2.1 §Types (proxy_status_t 6); {FACTS}host-call-status-codes",
)
def test_out_of_bounds_pointer_is_an_error_code(wasmhub_probe_envoy, wasmhub_probe_traffic):
    envoy = wasmhub_probe_envoy(OUT_OF_BOUNDS)
    traffic = wasmhub_probe_traffic(envoy)
    response = traffic.send("GET", "/oob")
    assert response.headers.get("x-oob-log-rc") == "6", (
        f"proxy_log with an out-of-bounds message returned {response.headers.get('x-oob-log-rc')}, expected 6"
    )
    assert response.headers.get("x-oob-get-rc") == "6", (
        "proxy_get_header_map_value with out-of-bounds result pointers returned "
        f"{response.headers.get('x-oob-get-rc')}, expected 6"
    )
    traffic.assert_alive("out-of-bounds host calls")
