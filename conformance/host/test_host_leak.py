"""Memory over many streams: per-stream state must be released, or the VM's memory grows until the 1 GiB
cap makes allocations fail and the module traps."""

from __future__ import annotations

from pytest_wasmhub.cases import SHOULD, case, not_applicable
from pytest_wasmhub.host.checks import memory_growth


@case(
    "HOST-LEAK-001",
    area="host",
    level=SHOULD,
    title="Memory stays bounded over many streams",
    spec="After up to 60 warm-up streams, the module's linear memory should not grow in every one of 4 "
    "rounds of up to 90 more streams (fewer for a slow module): memory kept per stream and never freed "
    "ends at Envoy's 1 GiB cap, where allocation fails and the VM traps.",
    reference="docs/host-facts.md#memory-limit",
)
def test_memory_is_bounded(module_host):
    host = module_host()
    growth = memory_growth(host)
    if growth.failure is not None:
        not_applicable(f"the module failed before the check finished: {growth.failure.describe()}")
    if growth.keeps_growing:
        raise AssertionError(
            f"free per-stream state in proxy_on_done/proxy_on_delete: {growth.describe()} "
            f"(about {growth.bytes_per_stream:.0f} bytes kept per stream)"
        )
