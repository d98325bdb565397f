"""The suite's shared probe Envoys: the cases that run one of the suite's probes under some setting
(a failure policy, two VMs) each declare a listener of their own, and one Envoy hosts them all, HTTP and
network listeners side by side (``envoy-configs/wasm-probes.yaml``).

Every plugin runs in a VM of its own (its ``vm_id`` starts with the listener's name): Envoy shares a VM
between plugins with the same ``vm_id``, code and VM configuration, even across listeners, so a trap in
one would fail the others (measured; tests/plugin/test_shared_probe_envoy.py holds both). A listener is
handed to one test only; the pool (``EnvoyPool``) keeps the Envoy for the other listeners only while the
process stays sound. The plugin's name is the listener's too, so Envoy's per-plugin counters
(``wasm.<name>.vm_reload_success``) are the case's own.

A case that needs a whole Envoy for one probe (one Envoy must refuse to start) declares it with
``own_probe_envoy`` and starts it with ``wasmhub_probe_start``. Declared at import, every such Envoy
can start ahead, in the background (``wasmhub_warm_envoys``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .envoy.bootstrap import PluginSpec


@dataclass(frozen=True)
class ProbePlugin:
    """One plugin of a shared listener: a probe by name and its plugin settings (``PluginSpec`` fields)."""

    probe: str
    settings: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class ProbeListener:
    name: str
    kind: str  # "http" or "network": the kind of filter its plugins are
    plugins: tuple[ProbePlugin, ...]


_LISTENERS: dict[str, ProbeListener] = {}
_OWN_ENVOYS: dict[str, ProbePlugin] = {}


def probe_plugin(probe: str, **settings: Any) -> ProbePlugin:
    return ProbePlugin(probe, tuple(sorted(settings.items())))


def shared_listener(name: str, *plugins: ProbePlugin, kind: str = "http") -> str:
    """Declare (at import) the listener a case runs its probe on; returns its name for
    ``wasmhub_probe_envoy``. Declaring the same listener again is harmless; another one under the same
    name is an error."""
    if not plugins:
        raise ValueError(f"shared listener {name!r}: give at least one probe_plugin")
    declared = ProbeListener(name, kind, plugins)
    known = _LISTENERS.setdefault(name, declared)
    if known != declared:
        raise ValueError(f"shared listener {name!r} is declared twice, differently: {known} and {declared}")
    return name


def own_probe_envoy(name: str, plugin: ProbePlugin) -> str:
    """Declare (at import) an Envoy of its own running one probe plugin; returns its name for
    ``wasmhub_probe_start``. The same declaration again is harmless, another under the name an error."""
    known = _OWN_ENVOYS.setdefault(name, plugin)
    if known != plugin:
        raise ValueError(f"probe Envoy {name!r} is declared twice, differently: {known} and {plugin}")
    return name


def own_envoy_plugin(name: str) -> ProbePlugin:
    try:
        return _OWN_ENVOYS[name]
    except KeyError:
        raise KeyError(f"no probe Envoy {name!r}; declared: {', '.join(sorted(_OWN_ENVOYS))}") from None


def own_envoy_names() -> list[str]:
    return sorted(_OWN_ENVOYS)


def listener(name: str) -> ProbeListener:
    try:
        return _LISTENERS[name]
    except KeyError:
        raise KeyError(f"no shared listener {name!r}; declared: {', '.join(sorted(_LISTENERS))}") from None


def plugin_specs(make: Callable[..., PluginSpec]) -> tuple[PluginSpec, ...]:
    """Every plugin of every declared listener, in a stable order: the spec of the shared probe Envoy
    (template ``PROBES_TEMPLATE``). ``make(probe, **settings)`` gives a plugin with the session's
    defaults."""
    specs = []
    for declared in sorted(_LISTENERS.values(), key=lambda v: v.name):
        for plugin in declared.plugins:
            settings = dict(plugin.settings)
            suffix = settings.pop("vm_id", "")
            own = f"{declared.name}-{suffix}" if suffix else declared.name
            name = f"{declared.name}-{settings.pop('name')}" if "name" in settings else declared.name
            specs.append(
                make(
                    plugin.probe,
                    **settings,
                    vm_id=own,
                    name=name,
                    listener=declared.name,
                    filter_kind=declared.kind,
                )
            )
    return tuple(specs)
