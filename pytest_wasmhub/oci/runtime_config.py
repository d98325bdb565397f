"""WebAssembly Hub's ``runtime-config.json``, read as strictly as ``wasme`` reads it.

wasme unmarshals it with jsonpb into ``module.wasm.config.Runtime``: each field under its camelCase or
snake_case name, unknown keys rejected. It writes camelCase (``abiVersions``, ``config.rootIds``).
The spec's own example spells a singular ``abi_version``, which wasme rejects; we say so explicitly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import media_types as mt
from .model import canonical_json
from .schema import validate

# The markers proxy-wasm-cpp-host recognises (bytecode_util.cc getAbiVersion)
KNOWN_ABI_VERSIONS = ("0.1.0", "0.2.0", "0.2.1")
# wasme's pre-0.1 names: "v0-" + an envoy-wasm commit; no export marker corresponds to them
LEGACY_ABI_NAME = re.compile(r"^v0-[0-9a-f]{40}$")


@dataclass(frozen=True)
class RuntimeConfig:
    type: str
    abi_versions: tuple[str, ...]
    root_ids: tuple[str, ...]


@dataclass
class ParsedRuntimeConfig:
    config: RuntimeConfig | None  # None when it does not parse at all
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    raw: Any = None


def parse_runtime_config(data: bytes, what: str = mt.RUNTIME_CONFIG_FILE) -> ParsedRuntimeConfig:
    """Parse and judge a runtime config: wasme's parser rules plus the Envoy ``type`` rule."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return ParsedRuntimeConfig(None, [f"{what}: is not JSON ({exc})"])
    result = ParsedRuntimeConfig(None, validate(raw, "runtime-config", what=what), raw=raw)
    if isinstance(raw, dict) and "abi_version" in raw:
        result.warnings.append(
            f"{what}.abi_version: this singular spelling comes from the spec's example; wasme rejects it "
            f'and reads "abiVersions": a list such as ["v0.2.1"]'
        )
    if result.errors or not isinstance(raw, dict):
        return result
    envoy = raw.get("config") or {}
    # jsonpb takes either spelling; with both present the camelCase one wins
    abi_versions = _first(raw, "abiVersions", "abi_versions")
    root_ids = _first(envoy, "rootIds", "root_ids")
    runtime_type = raw.get("type") or ""
    if runtime_type != mt.ENVOY_RUNTIME_TYPE:
        shown = json.dumps(runtime_type) if runtime_type else "missing"
        result.errors.append(
            f'{what}.type: is {shown}, expected "{mt.ENVOY_RUNTIME_TYPE}" for an Envoy module'
        )
    result.config = RuntimeConfig(runtime_type, tuple(abi_versions), tuple(root_ids))
    return result


def _first(obj: dict[str, Any], camel: str, snake: str) -> list[str]:
    value = obj.get(camel) if obj.get(camel) is not None else obj.get(snake)
    return list(value or [])


def abi_version_of(name: str) -> str | None:
    """``"v0.2.1"`` or ``"0.2.1"`` -> ``"0.2.1"``; None for anything that names no known marker."""
    bare = name[1:] if name.startswith("v") else name
    return bare if bare in KNOWN_ABI_VERSIONS else None


def abi_name(version: str) -> str:
    """The name wasme's examples use for an ABI version: ``0.2.1`` -> ``v0.2.1``."""
    return f"v{version}"


def runtime_config_bytes(abi_versions: list[str], root_ids: list[str]) -> bytes:
    """A runtime config the way wasme writes it (camelCase keys)."""
    return canonical_json(
        {"type": mt.ENVOY_RUNTIME_TYPE, "abiVersions": abi_versions, "config": {"rootIds": root_ids}}
    )
