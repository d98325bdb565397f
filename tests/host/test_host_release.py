"""A closed in-process host is freed: the guided search and long author sessions start thousands."""

from __future__ import annotations

import gc
import weakref

from pytest_wasmhub.host import ProxyWasmHost, fastcall


def test_closed_hosts_and_their_imports_are_collected(example_module):
    gc.collect()
    before = len(fastcall._entries)
    hosts = []
    for _ in range(20):
        host = ProxyWasmHost(example_module).start()
        assert host.http_request("GET", "/").response.status == 200
        host.close()
        hosts.append(weakref.ref(host))
        del host
    gc.collect()
    assert [ref for ref in hosts if ref() is not None] == []
    assert len(fastcall._entries) == before
