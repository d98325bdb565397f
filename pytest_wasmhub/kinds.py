"""How a module is meant to run: as an HTTP filter, a network (TCP) filter, or a Wasm service.

SDKs export every callback whatever the module registers, so exports alone do not tell. ``auto``
starts the module in the in-process host and tries each use the way Envoy would begin it: an HTTP
context (created, then a plain GET's first callback), a network context (created, then
``proxy_on_new_connection``). A use whose callbacks are missing, or whose beginning traps, is not a
use of this module; a module with no stream use that starts is a service. Kinds named explicitly are
run whatever this says, and their failures count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .abi.checks.exports import HTTP_CALLBACKS, NETWORK_CALLBACKS
from .module import WasmModule

HTTP = "http"
NETWORK = "network"
SERVICE = "service"
KINDS = (HTTP, NETWORK, SERVICE)
AUTO = "auto"
# fuel for one callback while deciding: a start-up that never ends is not waited for here
_DECIDING_FUEL = 20_000_000


@dataclass(frozen=True)
class KindDecision:
    kinds: tuple[str, ...]  # the uses the suite runs, in KINDS order
    left_out: dict[str, str] = field(default_factory=dict)  # kind -> why it is not a use
    requested: tuple[str, ...] = (AUTO,)

    @property
    def auto(self) -> bool:
        return self.requested == (AUTO,)

    def describe(self) -> str:
        how = "decided by trying each use in the in-process host" if self.auto else "as requested"
        left = "; ".join(f"{kind}: {why}" for kind, why in self.left_out.items())
        return f"{', '.join(self.kinds) or 'none'} ({how})" + (f"; not {left}" if left else "")

    def as_dict(self) -> dict[str, Any]:
        return {"kinds": list(self.kinds), "left_out": dict(self.left_out), "requested": list(self.requested)}


def parse_kinds(value: str) -> tuple[str, ...]:
    """``auto`` or a comma-separated list of kinds; ValueError naming the valid values otherwise."""
    names = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not names:
        raise ValueError(f"{value!r} names no kind; valid values: {AUTO}, or a list of {', '.join(KINDS)}")
    if names == (AUTO,):
        return names
    unknown = [name for name in names if name not in KINDS]
    if unknown or AUTO in names:
        raise ValueError(
            f"{value!r} is not valid; valid values: {AUTO}, or a comma-separated list of {', '.join(KINDS)}"
        )
    return tuple(kind for kind in KINDS if kind in names)


def decide(
    module: WasmModule | bytes, requested: tuple[str, ...], host_options: dict[str, Any]
) -> KindDecision:
    """The uses of ``module``: the requested kinds, or with ``auto`` what trying each one shows."""
    if requested != (AUTO,):
        return KindDecision(tuple(requested), {}, tuple(requested))
    exports = _exports(module)
    left_out: dict[str, str] = {}
    http = _try_http(module, exports, host_options)
    network = _try_network(module, exports, host_options)
    if http is not None and network is None and http.startswith(_FIRST_CALLBACK_TRAPS):
        http += "; it works as a network filter"
    elif http is not None and http.startswith(_FIRST_CALLBACK_TRAPS):
        http = None  # no other use either: an HTTP filter with a bug; the HTTP cases will say so
    kinds = []
    for kind, why in ((HTTP, http), (NETWORK, network)):
        if why is None:
            kinds.append(kind)
        else:
            left_out[kind] = why
    if kinds:
        left_out[SERVICE] = "it has a stream use (" + ", ".join(kinds) + ")"
    else:
        kinds.append(SERVICE)
    return KindDecision(tuple(k for k in KINDS if k in kinds), left_out)


_FIRST_CALLBACK_TRAPS = "a plain GET traps"


def _exports(module: WasmModule | bytes) -> set[str]:
    from .abi.inspector import inspect_bytes, inspect_module

    if isinstance(module, (bytes, bytearray)):
        return set(inspect_bytes(bytes(module), "envoy").facts.functions)
    return set(inspect_module(module).facts.functions)


def _host(module: WasmModule | bytes, options: dict[str, Any]) -> Any:
    from .host import ProxyWasmHost

    return ProxyWasmHost(module, **{**options, "fuel_per_callback": _DECIDING_FUEL}).start()


def _try_http(module: WasmModule | bytes, exports: set[str], options: dict[str, Any]) -> str | None:
    """None when the module begins an HTTP stream without trapping; else why it is no HTTP filter."""
    if not exports & HTTP_CALLBACKS:
        return "it exports no HTTP callback"
    try:
        host = _host(module, options)
    except Exception:  # the module does not start at all: leave the verdict to the Envoy cases
        return None
    try:
        result = host.http_request("GET", "/")
    except Exception:  # the host could not run it: no verdict from here
        return None
    finally:
        host.close()
    failure = result.failure
    if failure is None:
        return None
    if failure.callback == "proxy_on_context_create":
        return f"creating an HTTP context traps: {failure.message}"
    return f"{_FIRST_CALLBACK_TRAPS} in {failure.callback}: {failure.message}"


def _try_network(module: WasmModule | bytes, exports: set[str], options: dict[str, Any]) -> str | None:
    """None when the module begins a TCP connection without trapping; else why it is no network filter."""
    if not exports & NETWORK_CALLBACKS:
        return "it exports no network callback"
    try:
        host = _host(module, options)
    except Exception:
        return "the module does not start in the in-process host"
    try:
        failure = host.tcp_connection().failure
    finally:
        host.close()
    if failure is None:
        return None
    if failure.callback == "proxy_on_context_create":
        return f"creating a network context traps: {failure.message}"
    return f"{failure.callback} traps: {failure.message}"
