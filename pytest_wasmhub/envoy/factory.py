"""Start Envoys for tests: defaults from the settings, overridden per call, all stopped at once."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from .. import timing
from ..module import WasmModule, load_module
from .bootstrap import KIND_TEMPLATES, EnvoySpec, PluginSpec, render_bootstrap
from .handle import EnvoyHandle, EnvoyStartError
from .pool import EnvoyPool

PLUGIN_FIELDS = frozenset(f.name for f in dataclasses.fields(PluginSpec)) - {"module_path"}
ENVOY_FIELDS = frozenset(f.name for f in dataclasses.fields(EnvoySpec)) - {"plugins"}


class Runner(Protocol):
    """What the process and container runners share."""

    backend: str
    # how many Envoys ``EnvoyPool.prestart`` starts at once in the background
    starts_side_by_side: int

    def start(self, spec: EnvoySpec, workdir: Path) -> EnvoyHandle: ...

    def upstream_socket(self, name: str) -> str | None:
        """Where an upstream of the suite's must listen (a Unix socket's path) for this runner's Envoys
        to reach it; None: on a loopback port."""
        ...


class EnvoyFactory:
    """``factory(module=None, **overrides)`` starts an Envoy and remembers it for ``stop_all``."""

    def __init__(
        self,
        runner: Runner,
        workdir: Path,
        *,
        module: WasmModule | None = None,
        defaults: dict[str, Any] | None = None,
        on_start_error: Callable[[EnvoyStartError], None] | None = None,
        pool: EnvoyPool | None = None,
        never_ready: dict[str, str] | None = None,
        on_started: Callable[[EnvoyHandle], None] | None = None,
    ) -> None:
        self.runner = runner
        self.workdir = Path(workdir)
        self.module = module
        self.defaults = dict(defaults or {})
        self.started: list[EnvoyHandle] = []
        # sees every refusal first (the plugin skips on a missing runtime)
        self.on_start_error = on_start_error
        self.pool = pool  # where ``reuse=True`` Envoys come from and go back to
        # bootstraps Envoy never got ready with, shared by the session's factories: not waited for twice
        self.never_ready = never_ready
        self.on_started = on_started  # sees every Envoy this factory hands out
        unknown = set(self.defaults) - PLUGIN_FIELDS - ENVOY_FIELDS
        if unknown:
            raise TypeError(f"unknown Envoy settings: {', '.join(sorted(unknown))}")

    def spec(self, module: WasmModule | str | Path | None = None, **overrides: Any) -> EnvoySpec:
        """The spec ``__call__`` would start, without starting it. ``kind="network"`` (or ``"service"``,
        ``"http"``) picks the bootstrap that runs the module that way."""
        unknown = set(overrides) - PLUGIN_FIELDS - ENVOY_FIELDS - {"plugins", "kind"}
        if unknown:
            valid = ", ".join(sorted(PLUGIN_FIELDS | ENVOY_FIELDS | {"plugins", "kind"}))
            raise TypeError(f"unknown Envoy settings: {', '.join(sorted(unknown))}; valid: {valid}")
        kind = overrides.pop("kind", None)
        if kind is not None:
            if kind not in KIND_TEMPLATES:
                raise ValueError(f"kind {kind!r} is not one of {', '.join(KIND_TEMPLATES)}")
            overrides["template"] = KIND_TEMPLATES[kind]
        merged = {**self.defaults, **overrides}
        plugin_args = {k: v for k, v in merged.items() if k in PLUGIN_FIELDS}
        envoy_args = {k: v for k, v in merged.items() if k in ENVOY_FIELDS}
        plugins = merged.get("plugins")
        if plugins is None:
            plugins = (PluginSpec(module_path=self.module_path(module), **plugin_args),)
        return EnvoySpec(plugins=tuple(plugins), **envoy_args)

    def module_path(self, module: WasmModule | str | Path | None) -> Path:
        if module is None:
            if self.module is None:
                raise ValueError("no module: name one, or give --wasm PATH")
            return self.module.path
        if isinstance(module, WasmModule):
            return module.path
        return load_module(module, self.workdir / "modules").path

    def __call__(
        self,
        module: WasmModule | str | Path | None = None,
        *,
        reuse: bool = False,
        use_listener: str | None = None,
        **overrides: Any,
    ) -> EnvoyHandle:
        """Start an Envoy; with ``reuse`` (and a pool) take a clean running one of the same configuration.
        ``use_listener`` names the Wasm listener (``PluginSpec.listener``) the test is given: with reuse,
        of a shared Envoy whose other listeners serve other tests (see ``EnvoyPool``)."""
        spec = self.spec(module, **overrides)
        key = render_bootstrap(spec) if self.never_ready is not None or timing.enabled() else ""
        if timing.enabled():
            # each configuration a run asks for needs one start at least: the benchmark's floor
            runs_on = getattr(self.runner, "binary", None) or getattr(self.runner, "image", "")
            config = hashlib.sha256(f"{runs_on} {key}".encode()).hexdigest()[:16]
            timing.record("envoy_config", 0.0, config)
        try:
            if key in (self.never_ready or {}):
                raise EnvoyStartError(self.never_ready[key], never_ready=True)  # type: ignore[index]
            if reuse and self.pool is not None:
                envoy = self.pool.acquire(self.runner, spec, self.workdir, listener=use_listener)
            else:
                envoy = self.runner.start(spec, self.workdir)
                if use_listener is not None:
                    try:
                        envoy.use_listener(use_listener)
                    except KeyError:
                        envoy.stop()
                        raise
        except EnvoyStartError as refused:
            if refused.never_ready and self.never_ready is not None and key not in self.never_ready:
                self.never_ready[key] = f"{refused.reason} (seen at an earlier start; not waited for again)"
            if self.on_start_error is not None:
                self.on_start_error(refused)
            raise
        self.started.append(envoy)
        if self.on_started is not None:
            self.on_started(envoy)
        return envoy

    def prestart(self, module: WasmModule | str | Path | None = None, **overrides: Any) -> None:
        """Start, in the background, the Envoy a later ``factory(module, reuse=True, **overrides)`` will
        take (``EnvoyPool.prestart``); without a pool, nothing."""
        if self.pool is not None:
            self.pool.prestart(self.runner, self.spec(module, **overrides), self.workdir)

    def stop_all(self) -> None:
        """Stop this factory's Envoys; pooled ones go back to the pool if they are still clean."""
        while self.started:
            envoy = self.started.pop()
            if self.pool is not None and self.pool.leased(envoy):
                self.pool.release(envoy)
            else:
                envoy.stop()
