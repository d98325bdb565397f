"""The module as a Wasm service: a bootstrap extension (``envoy.bootstrap.wasm``, singleton) whose root
context runs outside any stream, usually on a timer. It must start, keep running without a trap, never
stop Envoy from serving, and let Envoy stop cleanly."""

from __future__ import annotations

import time

import pytest

from pytest_wasmhub.cases import MUST, SHOULD, case
from pytest_wasmhub.envoy.bootstrap import KIND_TEMPLATES
from pytest_wasmhub.envoy.logs import start_failures
from pytest_wasmhub.expect import start_envoy

REFERENCE = "https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/wasm/v3/wasm.proto#extensions-wasm-v3-wasmservice"
# how long a service is watched for a failure: many ticks of a typical timer
WATCH_SECONDS = 1.0


@pytest.fixture
def service_envoy(service_module, envoy_factory):
    return start_envoy(envoy_factory, service_module, template=KIND_TEMPLATES["service"])


def _failures(envoy) -> list[str]:
    return [entry.first_line for entry in envoy.log_entries() if entry.is_envoy_wasm_failure]


@case(
    "SERVICE-START-001",
    area="service",
    level=MUST,
    title="The service starts",
    spec="Envoy starts with the module as a singleton Wasm service: the VM is created and "
    "proxy_on_vm_start and proxy_on_configure succeed.",
    reference=REFERENCE + "; docs/host-facts.md#start-failures-stop-envoy",
)
def test_service_starts(service_envoy):
    created = service_envoy.stats().get("wasm.envoy.wasm.runtime.v8.created", 0)
    assert created >= 1, "Envoy is ready but created no V8 Wasm VM for the service"
    # what happens after the start (a timer's trap) is SERVICE-TICK-001's
    started = start_failures(service_envoy.log_entries())
    assert not started, "Envoy logged Wasm failures while starting the service: " + " | ".join(started[:3])


@case(
    "SERVICE-TICK-001",
    area="service",
    level=MUST,
    title="The service keeps running without a trap",
    spec=f"For {WATCH_SECONDS:g} s after start (many ticks of a timer set in proxy_on_vm_start or "
    "proxy_on_configure) Envoy logs no Wasm failure: no trap in proxy_on_tick or any other callback.",
    reference=REFERENCE + "; docs/host-facts.md#a-trap-fails-the-vm-for-the-worker",
)
def test_service_keeps_running(service_envoy):
    deadline = time.monotonic() + WATCH_SECONDS
    while time.monotonic() < deadline:
        failures = _failures(service_envoy)
        if failures:
            pytest.fail("the service failed in Envoy: " + " | ".join(failures[:3]), pytrace=False)
        time.sleep(0.05)


@case(
    "SERVICE-ISOLATION-001",
    area="service",
    level=MUST,
    title="The service never stops Envoy from serving",
    spec=f"After {WATCH_SECONDS:g} s with the service, whatever it did (a trap in proxy_on_tick "
    "included), the Envoy process runs, admin /ready says LIVE and an HTTP listener answers.",
    reference=REFERENCE + "; docs/host-facts.md#no-cpu-limit",
)
def test_service_keeps_envoy_serving(service_envoy, wasmhub_settings):
    time.sleep(WATCH_SECONDS)
    code = service_envoy.exit_code()
    assert code is None, f"isolation broken: Envoy died ({service_envoy.exit_description()}) with the service"
    assert service_envoy.ready(timeout=min(2.0, wasmhub_settings.request_timeout)), (
        "isolation broken: admin /ready does not answer LIVE: the service holds Envoy's main thread"
    )
    with service_envoy.new_client(
        service_envoy.passthrough_url, timeout=wasmhub_settings.request_timeout
    ) as client:
        answer = client.get("/service/alive")
    assert answer.status_code == 200, f"the HTTP listener answered {answer.status_code}"


@case(
    "SERVICE-STOP-001",
    area="service",
    level=SHOULD,
    title="Envoy stops cleanly with the service",
    spec="Asked to stop (SIGTERM), Envoy with the service exits by itself within 3 s.",
    reference=REFERENCE,
)
def test_envoy_stops_cleanly(service_envoy):
    started = time.monotonic()
    code = service_envoy.stop(grace=3.0)
    took = time.monotonic() - started
    assert code in (0, -15) and took < 3.0, (
        f"Envoy did not stop by itself within 3 s of SIGTERM (ended {service_envoy.exit_description()} after "
        f"{took:.1f} s)"
    )
