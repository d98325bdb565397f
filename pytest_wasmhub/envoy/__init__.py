"""Running a real Envoy with a Wasm module: binary, bootstrap, runners and their handles (no pytest)."""

from __future__ import annotations

from .binary import EnvoyBinaryError, envoy_version, resolve_envoy_binary
from .bootstrap import FAILURE_POLICIES, LOG_LEVELS, ClusterSpec, EnvoySpec, PluginSpec, render_bootstrap
from .factory import EnvoyFactory, Runner
from .handle import EnvoyHandle, EnvoyStartError
from .probe import LoadResult, probe_load
from .process import ProcessEnvoy, ProcessRunner

__all__ = [
    "FAILURE_POLICIES",
    "LOG_LEVELS",
    "ClusterSpec",
    "EnvoyBinaryError",
    "EnvoyFactory",
    "EnvoyHandle",
    "EnvoySpec",
    "EnvoyStartError",
    "LoadResult",
    "PluginSpec",
    "ProcessEnvoy",
    "ProcessRunner",
    "Runner",
    "envoy_version",
    "probe_load",
    "render_bootstrap",
    "resolve_envoy_binary",
]
