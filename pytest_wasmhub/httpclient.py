"""HTTP clients for talking to Envoy and the upstream: plain HTTP on loopback or Unix sockets only.

They skip TLS set-up (``verify=False``): loading the CA bundle costs about 0.5 s for the first client
and tens of milliseconds for each one after, which multiplied over a suite's requests was most of
its run time. Nothing here ever speaks TLS."""

from __future__ import annotations

import httpx


def plain_client(
    base_url: str = "",
    *,
    http2: bool = False,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, http1=not http2, http2=http2, timeout=timeout, verify=False, transport=transport
    )


def unix_transport(path: str, *, http2: bool = False) -> httpx.HTTPTransport:
    """A transport that sends every request over the Unix socket ``path`` (the URL's host is only the
    Host header then)."""
    return httpx.HTTPTransport(uds=path, http1=not http2, http2=http2, verify=False)


def plain_async_client(
    base_url: str = "", *, http2: bool = False, timeout: float = 10.0, **kwargs: object
) -> httpx.AsyncClient:
    """An asyncio client; a ``transport`` given in ``kwargs`` decides HTTP/2 and limits itself."""
    return httpx.AsyncClient(
        base_url=base_url, http1=not http2, http2=http2, timeout=timeout, verify=False, **kwargs
    )  # type: ignore[arg-type]


def get(url: str, timeout: float) -> httpx.Response:
    with plain_client(timeout=timeout) as client:
        return client.get(url)
