"""The JSON Schemas in ``schemas/`` and a validator whose messages name the offending field."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported at first use: a run on a module file never validates a package
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMAS = {
    "runtime-config": "runtime-config.schema.json",
    "manifest-oci": "manifest-oci.schema.json",
    "manifest-compat": "manifest-compat.schema.json",
    "manifest-cncf": "manifest-cncf.schema.json",
    "cncf-config": "cncf-config.schema.json",
    "descriptor": "descriptor.schema.json",
}


def schema_path(name: str) -> Path:
    return SCHEMA_DIR / SCHEMAS[name]


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource

    resources = []
    for file_name in SCHEMAS.values():
        contents = json.loads((SCHEMA_DIR / file_name).read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@cache
def _validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    contents = json.loads(schema_path(name).read_text())
    return Draft202012Validator(contents, registry=_registry())


def validate(instance: Any, name: str, *, what: str) -> list[str]:
    """Every way ``instance`` breaks schema ``name``, one line each, prefixed with ``what``.field."""
    errors = sorted(_validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    messages = [_describe(error, what) for error in _leaves(errors)]
    return list(dict.fromkeys(messages))  # one rule can fail twice (e.g. minItems and contains)


def _leaves(errors: list[ValidationError]) -> list[ValidationError]:
    """Replace ``allOf``/``anyOf`` wrappers by the concrete errors inside them."""
    out: list[ValidationError] = []
    for error in errors:
        if error.validator in ("allOf", "anyOf", "oneOf") and error.context:
            out.extend(_leaves(sorted(error.context, key=lambda e: list(e.absolute_path))))
        else:
            out.append(error)
    return out


def field_path(what: str, path: list[Any] | Any) -> str:
    text = what
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _describe(error: ValidationError, what: str) -> str:
    where = field_path(what, list(error.absolute_path))
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    value, expected = error.instance, error.validator_value
    kind = error.validator
    if kind == "additionalProperties":
        known = sorted((error.schema.get("properties") or {}).keys())
        unknown = sorted(set(value) - set(known)) if isinstance(value, dict) else []
        keys = ", ".join(repr(k) for k in unknown)
        return f"{where}: unknown key {keys} (known keys: {', '.join(known)})"
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{field_path(where, [missing])}: is missing"
    if custom and kind in ("contains", "minContains", "maxContains", "minItems", "maxItems"):
        count = len(value) if isinstance(value, list) else "?"
        return f"{where}: {custom}; found {count}: {_media_types(value)}"
    if kind in ("minItems", "maxItems"):
        count = len(value) if isinstance(value, list) else "?"
        bound = "at least" if kind == "minItems" else "at most"
        return f"{where}: has {count} items, expected {bound} {expected}"
    if kind == "const":
        return f"{where}: is {json.dumps(value)}, expected {json.dumps(expected)}"
    if kind == "enum":
        return (
            f"{where}: is {json.dumps(value)}, expected one of {', '.join(json.dumps(v) for v in expected)}"
        )
    if kind == "type":
        wanted = expected if isinstance(expected, str) else " or ".join(expected)
        return f"{where}: is {_json_type(value)}, expected {wanted}"
    if kind == "pattern":
        return f"{where}: {json.dumps(value)} is not well formed"
    if custom:
        return f"{where}: {custom}"
    return f"{where}: {error.message}"


def _media_types(layers: Any) -> str:
    if not isinstance(layers, list):
        return "none"
    types = [layer.get("mediaType", "?") if isinstance(layer, dict) else "?" for layer in layers]
    return ", ".join(types) or "none"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
