"""The scan manifest: which modules, with which settings, on which Envoy releases (JSON or YAML).

Settings are keyed by the plugin's long option names without the dashes (``wasm-root-id``); each entry
becomes one ``pytest --wasm MODULE --envoy-version V ...`` per release. Loading checks the manifest
against ``schema/manifest.schema.json`` and the keys against the plugin's options, so a typo stops the
scan before any module runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..envoy.versions import VERSION, version_key
from ..settings import SETTINGS, Setting

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "manifest.schema.json"
# The scan itself decides these for every run; an entry cannot set them.
RESERVED = {
    "wasm": "the entry's module",
    "wasm-report": "the scan's output directory",
    "envoy-version": "envoy_versions",
    "envoy-image": "wasmhub scan --envoy-image",
    "envoy-offline": "wasmhub scan --envoy-offline",
    "envoy-cache": "wasmhub scan --envoy-cache",
    "wasm-host-check": "nothing: a scan checks modules",
    "wasm-no-conformance": "nothing: a scan runs the conformance suite",
}
# How a run is judged, not what runs: two scans that differ only here compare row by row.
JUDGING = ("wasm-strict", "wasm-level")
JSON_TEXT = ("wasm-config", "wasm-vm-config")  # an object here is passed as JSON text


class ManifestError(ValueError):
    """The manifest cannot be used; the message names the file, the place and the problem."""


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def options_by_key() -> dict[str, Setting]:
    return {s.flag[2:]: s for s in SETTINGS}


@dataclass(frozen=True)
class Entry:
    index: int  # position in the manifest
    module: str  # what --wasm gets (relative paths resolved against the manifest's directory)
    name: str
    settings: dict[str, Any] = field(hash=False)
    envoy_versions: tuple[str, ...]
    timeout: float | None = None

    @property
    def settings_key(self) -> str:
        """Fingerprint of every setting: two runs with the same key ran the same way."""
        return _fingerprint(self.settings)

    @property
    def row_key_settings(self) -> str:
        """Fingerprint of the settings that change what runs (not how it is judged), for comparisons."""
        return _fingerprint({k: v for k, v in self.settings.items() if k not in JUDGING})

    def pytest_args(self) -> list[str]:
        """The settings as plugin options, in a stable order."""
        options = options_by_key()
        args: list[str] = []
        for key in sorted(self.settings):
            value, setting = self.settings[key], options[key]
            if setting.is_flag:
                if value is True or str(value).lower() in ("1", "true", "yes", "on"):
                    args.append(setting.flag)
                continue
            values = value if isinstance(value, list) else [value]
            args += [f"{setting.flag}={_text(key, item)}" for item in values]
        return args

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "module": self.module, "settings": self.settings}


@dataclass(frozen=True)
class Unit:
    """One entry on one Envoy release: one pytest process, one report."""

    entry: Entry
    envoy_version: str

    @property
    def label(self) -> str:
        return f"{self.entry.name} on Envoy {self.envoy_version}"


@dataclass(frozen=True)
class Manifest:
    path: Path
    entries: tuple[Entry, ...]

    def units(self, versions: tuple[str, ...] | None = None) -> list[Unit]:
        """Every entry x release, in manifest order (the order sharding deals them out in)."""
        return [
            Unit(entry, version)
            for entry in self.entries
            for version in (versions if versions is not None else entry.envoy_versions)
        ]

    @property
    def envoy_versions(self) -> list[str]:
        found = {v for entry in self.entries for v in entry.envoy_versions}
        return sorted(found, key=version_key)


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc.strerror or exc})") from None
    document = _parse(path, text)
    return manifest_from_document(document, path)


def manifest_from_document(document: Any, path: Path) -> Manifest:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top)"
        raise ManifestError(f"{path}: {where}: {errors[0].message}")
    defaults = document.get("settings") or {}
    _check_settings(path, "settings", defaults)
    base = path.parent.resolve()
    entries = []
    for index, raw in enumerate(document["entries"]):
        own = raw.get("settings") or {}
        _check_settings(path, f"entries/{index}/settings", own)
        versions = raw.get("envoy_versions") or document.get("envoy_versions")
        if not versions:
            raise ManifestError(f"{path}: entries/{index}: no envoy_versions (here or at the top)")
        _check_versions(path, index, versions)
        settings = {**defaults, **own}
        written = raw["module"]
        entries.append(
            Entry(
                index=index,
                module=_resolve_module(written, base),
                name=raw.get("name") or written,
                settings=_resolve_files(settings, base),
                envoy_versions=tuple(dict.fromkeys(versions)),
                timeout=raw.get("timeout", document.get("timeout")),
            )
        )
    return Manifest(path, tuple(entries))


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ManifestError(f"{path}: a YAML manifest needs PyYAML (pip install pyyaml)") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ManifestError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path}: not valid JSON: {exc}") from None


def _check_settings(path: Path, where: str, settings: dict[str, Any]) -> None:
    options = options_by_key()
    for key, value in settings.items():
        if key in RESERVED:
            raise ManifestError(f"{path}: {where}: {key!r} cannot be set per entry; it is {RESERVED[key]}")
        setting = options.get(key)
        if setting is None:
            valid = ", ".join(sorted(k for k in options if k not in RESERVED))
            raise ManifestError(f"{path}: {where}: {key!r} is not an option; valid keys: {valid}")
        if isinstance(value, list) and not setting.repeatable:
            raise ManifestError(f"{path}: {where}/{key}: a list, but --{key} takes one value")
        if isinstance(value, dict) and key not in JSON_TEXT:
            raise ManifestError(
                f"{path}: {where}/{key}: an object is only allowed for {', '.join(JSON_TEXT)}"
            )
        if isinstance(value, bool) != setting.is_flag and not (setting.is_flag and isinstance(value, str)):
            kind = "true or false" if setting.is_flag else "a value, not true/false"
            raise ManifestError(f"{path}: {where}/{key}: --{key} takes {kind}")
        if not setting.is_flag:
            for item in value if isinstance(value, list) else [value]:
                _check_value(path, f"{where}/{key}", setting, _text(key, item))


def _check_value(path: Path, where: str, setting: Setting, text: str) -> None:
    from ..settings import SettingError

    if setting.name in ("config", "vm_config", "probes") or text.startswith("@"):
        return  # files: checked by the run itself, relative to the manifest
    try:
        setting.parse(text)
    except SettingError as exc:
        raise ManifestError(f"{path}: {where}: {exc}") from None


def _check_versions(path: Path, index: int, versions: list[str]) -> None:
    bad = [v for v in versions if not VERSION.match(v)]
    if bad:
        raise ManifestError(f"{path}: entries/{index}: {', '.join(bad)} is not an Envoy release number")


def _resolve_module(written: str, base: Path) -> str:
    if written.startswith("oci://"):
        return written
    candidate = Path(written).expanduser()
    if candidate.is_absolute():
        return written
    return str(base / written)


def _resolve_files(settings: dict[str, Any], base: Path) -> dict[str, Any]:
    resolved = dict(settings)
    for key in (*JSON_TEXT, "wasm-probes"):
        value = resolved.get(key)
        if isinstance(value, str) and key in JSON_TEXT and value.startswith("@"):
            file = Path(value[1:]).expanduser()
            resolved[key] = "@" + str(file if file.is_absolute() else base / file)
        elif isinstance(value, str) and key == "wasm-probes" and not Path(value).is_absolute():
            resolved[key] = str(base / value)
    return resolved


def _text(key: str, value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fingerprint(settings: dict[str, Any]) -> str:
    canonical = json.dumps(settings, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:8]
