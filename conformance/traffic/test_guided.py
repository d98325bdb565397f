"""Guided hostile traffic: valid requests built from the module's own vocabulary (the headers it asks
the host for, the strings in its data segments), searched with Hypothesis in the in-process host for
``--wasm-search-budget`` seconds from ``--wasm-search-seed``. A finding is shrunk to a minimal request
and replayed through a real Envoy: the case fails only when Envoy fails it too, and names the request
as a curl command line with Envoy's own log line; a finding Envoy does not share is an error of the
suite (the host disagrees with Envoy), never the module's failure."""

from __future__ import annotations

from pytest_wasmhub.cases import MUST, case
from pytest_wasmhub.guided import HANG, TRAP

SPEC = (
    "A filter must not {what} on a valid request it did not expect; the requests here are built from "
    "the module's own vocabulary (its header names present, absent, empty, repeated, very long, not "
    "UTF-8, numbers at the edges, malformed JSON or base64, paths and bodies from its strings), and a "
    "finding counts only when a real Envoy fails the minimal request too."
)


@case(
    "HOSTILE-GUIDED-001",
    area="traffic",
    level=MUST,
    title="No trap on requests built from the module's vocabulary",
    spec=SPEC.format(what="trap, fail its VM or crash Envoy")
    + " A trap fails the stream with a 503 and leaves the VM failed for every later request on that worker.",
    reference="docs/host-facts.md#a-trap-fails-the-vm-for-the-worker",
)
def test_no_trap_on_guided_requests(guided):
    guided.judge(TRAP)


@case(
    "HOSTILE-GUIDED-002",
    area="traffic",
    level=MUST,
    title="No hang on requests built from the module's vocabulary",
    spec=SPEC.format(what="hang")
    + " Envoy puts no time limit on a callback: one that never returns holds its worker for good.",
    reference="docs/host-facts.md#no-cpu-limit",
)
def test_no_hang_on_guided_requests(guided):
    guided.judge(HANG)
