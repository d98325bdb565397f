"""HTTP clients for talking to Envoy and the upstream: plain HTTP on loopback or Unix sockets only.

They skip TLS set-up: loading the CA bundle costs about 0.5 s for the first client and tens of
milliseconds for each one after, and even ``verify=False`` makes a new SSL context per client (16 ms
measured), which multiplied over a suite's requests was much of its run time. So every client shares
one context that checks nothing (0.1 ms a client). Nothing here ever speaks TLS."""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def no_tls() -> ssl.SSLContext:
    """One SSL context for every client: it loads no certificates and verifies nothing."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def plain_client(
    base_url: str = "",
    *,
    http2: bool = False,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, http1=not http2, http2=http2, timeout=timeout, verify=no_tls(), transport=transport
    )


def unix_transport(path: str, *, http2: bool = False) -> httpx.HTTPTransport:
    """A transport that sends every request over the Unix socket ``path`` (the URL's host is only the
    Host header then)."""
    return httpx.HTTPTransport(uds=path, http1=not http2, http2=http2, verify=False)


def get(url: str, timeout: float) -> httpx.Response:
    with plain_client(timeout=timeout) as client:
        return client.get(url)
