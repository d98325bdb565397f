"""Assertions shared by conformance cases and author tests, with messages that quote Envoy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .envoy import EnvoyFactory, EnvoyHandle, EnvoyStartError
from .envoy.handle import describe_exit
from .module import WasmModule
from .traffic import EnvoyBroke, Exchange, ModuleChanges, compare, describe, send
from .upstream import RecordedRequest, Upstream


def start_envoy(
    envoy_factory: EnvoyFactory, module: WasmModule | None = None, **overrides: Any
) -> EnvoyHandle:
    """Start Envoy inside a test, so a refusal is the case's failure (with Envoy's reason), not an error."""
    __tracebackhide__ = True
    try:
        return envoy_factory(module, **overrides)
    except EnvoyStartError as exc:
        pytest.fail(f"Envoy refused the module: {exc.reason}", pytrace=False)


def no_wasm_errors(envoy: EnvoyHandle, doing: str) -> None:
    """Fail when Envoy logged a Wasm error (a trap, a failed VM) while ``doing`` something."""
    __tracebackhide__ = True
    errors = envoy.wasm_errors()
    if errors:
        pytest.fail(f"Envoy logged Wasm errors while {doing}: " + " | ".join(errors[:5]), pytrace=False)


class Traffic:
    """The suite's way of sending requests through an Envoy with the module under test.

    Every request is bounded by the request timeout. A request the module fails (a trap, a Wasm error
    in Envoy's log) fails the case quoting Envoy; an Envoy that died or wedged fails it as an isolation
    break, and ``on_break`` hears of it so later cases need not wait for the same break again.
    """

    def __init__(
        self,
        envoy: EnvoyHandle,
        upstream: Upstream,
        timeout: float,
        on_break: Callable[[EnvoyBroke], None] = lambda broke: None,
        broken_before: str | None = None,
    ) -> None:
        self.envoy = envoy
        self.upstream = upstream
        self.timeout = timeout
        self.on_break = on_break
        self.broken_before = broken_before  # an earlier case saw this module crash or wedge Envoy
        self.changes: list[tuple[str, ModuleChanges]] = []

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        __tracebackhide__ = True
        exchange = self.exchange(method, path, **kwargs)
        if exchange.new_wasm_errors:
            pytest.fail(
                f"{exchange.description} made the module fail in Envoy "
                f"(HTTP {exchange.response.status_code}): " + " | ".join(exchange.new_wasm_errors[:3]),
                pytrace=False,
            )
        return exchange.response

    def observe(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, ModuleChanges]:
        """Send the request without the module, then with it; return the response and what changed."""
        __tracebackhide__ = True
        content = kwargs.get("content")
        if content is not None and not isinstance(content, bytes):
            raise TypeError("observe() sends the body twice: give it as bytes")
        plain = self.exchange(
            method, path, url=self.envoy.passthrough_url, note="without the module", **kwargs
        )
        plain_seen = self._last_upstream_request(path)
        before = len(self.upstream.requests)
        response = self.send(method, path, **kwargs)
        through_seen = self._last_upstream_request(path) if len(self.upstream.requests) > before else None
        changes = compare(plain.response, response, plain_seen, through_seen)
        self.changes.append((describe(method, path), changes))
        return response, changes

    def exchange(self, method: str, path: str, **kwargs: Any) -> Exchange:
        """Send one request; fail only if Envoy gives no answer (Wasm errors are left to the caller)."""
        __tracebackhide__ = True
        if self.broken_before:
            pytest.fail(
                f"not sent: the module already broke isolation in {self.broken_before}", pytrace=False
            )
        try:
            return send(self.envoy, method, path, timeout=self.timeout, **kwargs)
        except EnvoyBroke as broke:
            self.on_break(broke)
            pytest.fail(f"isolation broken ({broke.cause}): {broke}", pytrace=False)

    def _last_upstream_request(self, path: str) -> RecordedRequest | None:
        wanted = path.split("?")[0]
        return next((r for r in reversed(self.upstream.requests) if r.path == wanted), None)

    def assert_alive(self, doing: str) -> None:
        """Envoy still runs, says LIVE, and its listener without the module answers."""
        __tracebackhide__ = True
        code = self.envoy.exit_code()
        if code is not None:
            broke = EnvoyBroke("crashed", f"Envoy died ({describe_exit(code)}) after {doing}")
            self.on_break(broke)
            pytest.fail(f"isolation broken (crashed): {broke}", pytrace=False)
        assert self.envoy.ready(), f"Envoy's admin /ready is not LIVE after {doing}"
        self.exchange("GET", "/__wasmhub/alive", url=self.envoy.passthrough_url, note=f"after {doing}")
