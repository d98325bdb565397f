"""The guided search in the in-process host: the vocabulary it learns, the requests it builds, that
the same seed finds the same minimal request, that a module that never traps gives no finding, and
that the curl reproducer sends exactly the bytes of the request."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from wasmhub_test_support import EXAMPLE_MODULE

from pytest_wasmhub.guided import HANG, TRAP, GuidedRequest, learn, shell_quote
from pytest_wasmhub.guided.search import search
from pytest_wasmhub.host.checks import conformance_host
from pytest_wasmhub.module import load_module
from pytest_wasmhub.probes import probes_dir

BUDGET = 2.0  # generous: a loaded machine is slow, and each trigger probe is found in well under it


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    """``hosts(name)`` -> (make_host, vocabulary) for a probe (or "example")."""
    work = tmp_path_factory.mktemp("guided")

    def make(name: str):
        path = EXAMPLE_MODULE if name == "example" else probes_dir() / f"{name}.wat"
        module = load_module(path, work)

        def make_host(**options):
            return conformance_host(module, **options)

        host = make_host()
        vocabulary, results = learn(host)
        host.close()
        assert all(r.failure is None for r in results)
        return make_host, vocabulary

    return make


def test_vocabulary_holds_the_headers_the_module_asks_for_and_its_strings(hosts):
    _, vocabulary = hosts("guided_reads_many_headers")
    assert vocabulary.asked_headers[:4] == (b"x-user-id", b"x-tenant", b"x-shard", b"x-depth")
    assert b"x-guided-sum" in vocabulary.words  # a string of its data segments, never asked for
    assert b"x-guided-sum" in vocabulary.header_names  # header-like: the search sends it too


@pytest.mark.parametrize(
    ("probe", "kind", "header", "where"),
    [
        ("guided_trap_request_unreachable", TRAP, "x-user-id", "proxy_on_request_headers"),
        ("guided_trap_request_divzero", TRAP, "x-shard", "divide by zero"),
        ("guided_trap_response_oob", TRAP, "x-region", "proxy_on_response_headers"),
        ("guided_trap_done_stack_overflow", TRAP, "x-locale", "proxy_on_done"),
        ("guided_trap_allocator", TRAP, "x-api-key", "proxy_on_memory_allocate"),
        ("guided_loop_request", HANG, "x-retry-count", "budget"),
    ],
)
def test_the_search_finds_the_secret_header_minimally(hosts, probe, kind, header, where):
    make_host, vocabulary = hosts(probe)
    result = search(make_host, vocabulary, BUDGET, 0)
    finding = result.findings[kind]
    assert finding.request.header_names() == [header], finding.request  # shrunk to the one header
    assert finding.request.body == b""
    assert where in finding.failure


def test_the_same_seed_gives_the_same_finding(hosts):
    make_host, vocabulary = hosts("guided_trap_request_divzero")
    first = search(make_host, vocabulary, BUDGET, 7)
    again = search(make_host, vocabulary, BUDGET, 7)
    assert first.findings[TRAP].request == again.findings[TRAP].request


@pytest.mark.parametrize("name", ["guided_reads_many_headers", "example"])
def test_a_module_that_never_traps_gives_no_finding(hosts, name):
    make_host, vocabulary = hosts(name)
    result = search(make_host, vocabulary, 1.0, 0)
    assert result.findings == {}, result.summary()
    assert result.streams > 20


def test_budget_zero_turns_the_search_off(hosts):
    make_host, vocabulary = hosts("guided_trap_request_unreachable")
    result = search(make_host, vocabulary, 0, 0)
    assert result.streams == 0 and result.findings == {}


@pytest.mark.parametrize(
    "value",
    [
        b"plain",
        b"",
        b"it's",
        b"back\\slash",
        b"\xff\xfe caf\xc3\xa9",
        b"%d $HOME `x`",
        b"a" * 300,
        b"{" * 100,
    ],
)
def test_shell_quoting_gives_bash_the_same_bytes(value):
    echoed = subprocess.run(
        ["bash", "-c", "printf %s " + shell_quote(value)], capture_output=True, check=True
    ).stdout
    assert echoed == value


def test_curl_line_names_every_header_and_sends_an_empty_one_as_empty():
    request = GuidedRequest("POST", "/a?b=1", ((b"x-empty", b""), (b"x-odd", b"\xff'")), b'{"a":')
    line = request.curl("http://127.0.0.1:8080")
    assert "-H 'x-empty;'" in line  # curl removes a header given as 'name:'
    assert "-H $'x-odd: \\xff\\''" in line
    assert "--data-binary '{\"a\":'" in line and line.endswith("'http://127.0.0.1:8080/a?b=1'")


def test_request_description_is_one_line():
    request = GuidedRequest("GET", "/x", ((b"x-user-id", b"\x00" * 100),))
    assert "\n" not in request.describe() and "(100 bytes)" in request.describe()


def test_probes_header_names_are_distinct():
    """Each trigger probe has a header of its own, so one probe's finding never stands for another's."""
    names = [
        Path(p).read_text().split('(data (i32.const 16) "', 1)[1].split('"', 1)[0]
        for p in sorted(probes_dir().glob("guided_*.wat"))
        if "reads_many" not in p.name
    ]
    assert len(names) == len(set(names)) == 10
