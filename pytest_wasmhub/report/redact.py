"""Keep secrets out of reports: a report is meant to be kept and shared (a CI artifact, a registry page).

The rule:

* in JSON (and in a setting whose text is JSON, like ``--wasm-config``), the value of every key that
  looks secret is replaced by ``[REDACTED]``, at any depth: a key whose name, lower-cased, contains
  ``password``, ``passwd``, ``secret``, ``token``, ``credential``, ``authorization``, ``cookie``,
  ``apikey``/``api_key``/``api-key`` or ``private``, or that is ``key``/``auth`` or ends in ``_key``,
  ``-key`` or ``key`` after a separator (``signing_key``, ``x-api-key``);
* in text that is not JSON, ``NAME=value`` and ``NAME: value`` pairs with such a name are redacted;
* anywhere, a password in a URL (``scheme://user:password@host``) is redacted, and so is a user name
  of 20 characters or more (a token: ``https://TOKEN@host``); a URL's ``?token=...`` is a pair.
"""

from __future__ import annotations

import json
import re
from typing import Any

REDACTED = "[REDACTED]"
_SECRET_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "authorization",
    "cookie",
    "apikey",
    "api_key",
    "api-key",
    "private",
)
_SECRET_NAMES = ("key", "auth")
_KEY_SUFFIX = re.compile(r"[-_.]key$")
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@")
# a user name this long is a token (``https://ghp_...@github.com``), not a person's name
_URL_TOKEN_USER = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]{20,}@")
# ``scheme://`` is not a ``name: value`` pair, so the pass below reaches a URL's ``?token=...``
_TEXT_PAIR = re.compile(
    r"(?P<name>[A-Za-z][\w.-]*)(?P<sep>\s*=\s*|\s*:(?!//)\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;&?#]+)"
)


def is_secret_key(name: str) -> bool:
    lowered = name.strip().lower()
    return (
        lowered in _SECRET_NAMES
        or any(word in lowered for word in _SECRET_WORDS)
        or bool(_KEY_SUFFIX.search(lowered))
    )


def redact_value(value: Any) -> Any:
    """A copy of a JSON-like value with secret-looking keys' values replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_key(str(k)) else redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """Text that may hold JSON, ``name=value`` pairs or URLs with passwords."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError:
            pass
        else:
            return json.dumps(redact_value(parsed), ensure_ascii=False)
    text = _URL_PASSWORD.sub(lambda m: m["head"] + REDACTED + "@", text)
    text = _URL_TOKEN_USER.sub(lambda m: m["head"] + REDACTED + "@", text)
    return _TEXT_PAIR.sub(
        lambda m: m["name"] + m["sep"] + REDACTED if is_secret_key(m["name"]) else m[0],
        text,
    )


def redact_strings(value: Any) -> Any:
    """A copy of a JSON-like value with every string redacted as text; keys are kept as they are (for
    output whose structure is fixed, like an inspection)."""
    if isinstance(value, dict):
        return {k: redact_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_strings(item) for item in value]
    return redact_text(value) if isinstance(value, str) else value


def redact_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as a JSON-ready dict (paths as text), redacted by the same rule."""
    return redact_value({name: _plain(value) for name, value in values.items()})


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
