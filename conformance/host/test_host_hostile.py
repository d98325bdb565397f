"""Valid but adversarial input straight into the module's callbacks (no proxy in between to smooth it)."""

from __future__ import annotations

import pytest

from pytest_wasmhub.cases import MUST, case, not_applicable
from pytest_wasmhub.host.checks import HOSTILE_TRAFFIC, STANDARD_TRAFFIC, send


@case(
    "HOST-HOSTILE-001",
    area="host",
    level=MUST,
    title="No trap on adversarial but valid input",
    spec="The module must not trap on valid input it did not expect: 95 headers, a 48 KiB header value, empty "
    "values, values that are not UTF-8, a repeated header, a 1 MiB body in 64 chunks, a binary body with an "
    "empty trailer, and no properties at all.",
    reference="docs/host-facts.md#a-trap-fails-the-stream",
)
@pytest.mark.parametrize("request_", HOSTILE_TRAFFIC, ids=lambda r: r.path.rsplit("/", 1)[-1])
def test_no_trap_on_hostile_input(module_host, request_):
    host = module_host(**dict(request_.options))
    plain = send(host, STANDARD_TRAFFIC[0])
    if plain.failure is not None:
        not_applicable(
            f"the module fails on a plain GET already (HOST-LIFECYCLE-001): {plain.failure.describe()}"
        )
    result = send(host, request_)
    if result.failure is not None:
        raise AssertionError(
            f"{request_.note}: {result.failure.describe()}\nHandle this input without trapping (check sizes, "
            f"decode bytes leniently, treat NOT_FOUND as absent).\n{host.report(last=25)}"
        )
