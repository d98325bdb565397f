"""Property values as Envoy serializes them, and when they exist."""

from __future__ import annotations

import struct

from pytest_wasmhub.host import ProxyWasmHost, pairs


def test_properties_follow_the_stream(behaviours):
    host = ProxyWasmHost(
        behaviours, plugin_name="p1", root_id="r1", properties={"node.id": "n1", "limit": 7}
    ).start()
    lookup = host.properties.lookup
    # the root context: plugin properties and the test's own, no request
    assert lookup(host.root, [b"plugin_name"]) == b"p1"
    assert lookup(host.root, [b"plugin_root_id"]) == b"r1"
    assert lookup(host.root, [b"node", b"id"]) == b"n1"
    assert lookup(host.root, [b"limit"]) == struct.pack("<q", 7)
    assert lookup(host.root, [b"request", b"path"]) is None
    # a stream paused at its headers: the request attributes exist
    stream = host.start_request("GET", "/a/b?c=1", headers={"x-test": "p", "user-agent": "t"})
    context = stream.context
    assert lookup(context, [b"request", b"path"]) == b"/a/b?c=1"
    assert lookup(context, [b"request", b"url_path"]) == b"/a/b"
    assert lookup(context, [b"request", b"headers", b"user-agent"]) == b"t"
    assert lookup(context, [b"source", b"port"]) == struct.pack("<q", 46000)
    headers = pairs.decode(lookup(context, [b"request", b"headers"]))
    assert (b":method", b"GET") in headers
    assert lookup(context, [b"no", b"such"]) is None
    stream.finish()


def test_without_standard_properties_nothing_exists_but_the_tests_own(behaviours):
    host = ProxyWasmHost(behaviours, standard_properties=False, properties={"x": "1"}).start()
    stream = host.start_request(headers={"x-test": "p"})
    assert host.properties.lookup(stream.context, [b"request", b"path"]) is None
    assert host.properties.lookup(stream.context, [b"x"]) == b"1"
    stream.finish()
