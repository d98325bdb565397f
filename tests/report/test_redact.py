"""The redaction rule for configuration in reports (documented in pytest_wasmhub.report.redact)."""

from __future__ import annotations

import json

import pytest

from pytest_wasmhub.report.redact import REDACTED, is_secret_key, redact_settings, redact_text


@pytest.mark.parametrize(
    "key",
    ["password", "db_passwd", "client_secret", "accessToken", "Authorization", "cookie", "x-api-key",
     "apikey", "private_pem", "key", "auth", "signing_key", "credentials"],
)  # fmt: skip
def test_secret_looking_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["monkey", "keys", "keyword", "author", "mode", "upstream", "timeout"])
def test_ordinary_keys(key):
    assert not is_secret_key(key)


def test_json_is_redacted_at_any_depth_and_keeps_its_shape():
    text = json.dumps({"rules": [{"name": "a", "token": "t1"}], "auth": {"user": "u"}, "limit": 5})
    assert json.loads(redact_text(text)) == {
        "rules": [{"name": "a", "token": REDACTED}],
        "auth": REDACTED,
        "limit": 5,
    }


def test_text_pairs_and_url_passwords():
    assert (
        redact_text("mode=strict password=abc api-key: xyz")
        == f"mode=strict password={REDACTED} api-key: {REDACTED}"
    )
    assert (
        redact_text("oci://bob:s3cret@registry.local/ns/mod:1")
        == f"oci://bob:{REDACTED}@registry.local/ns/mod:1"
    )


def test_settings_become_plain_json():
    from pathlib import Path

    shown = redact_settings(
        {"report": Path("/tmp/r.json"), "clusters": (("auth", "127.0.0.1", 9),), "config": '{"secret": 1}'}
    )
    assert shown == {
        "report": "/tmp/r.json",
        "clusters": [["auth", "127.0.0.1", 9]],
        "config": f'{{"secret": "{REDACTED}"}}',
    }
