"""An Envoy binary's version is asked once per file, not once per run (it costs ~40 ms a run), and asked
again when the file changes; a binary that is no Envoy is never remembered."""

from __future__ import annotations

import os

import pytest

from pytest_wasmhub.envoy import binary as envoy_binary
from pytest_wasmhub.envoy.binary import EnvoyBinaryError, envoy_version


@pytest.fixture
def fake_envoy(tmp_path, monkeypatch):
    monkeypatch.setattr(envoy_binary, "KNOWN_VERSIONS", tmp_path / "cache" / "versions.json")
    envoy_version.cache_clear()
    runs = tmp_path / "runs"
    path = tmp_path / "envoy"

    def write(version: str) -> None:
        path.write_text(
            f"#!/bin/sh\necho run >> {runs}\necho 'envoy  version: 0123abcd/{version}/Clean/RELEASE/BoringSSL'\n"
        )
        path.chmod(0o755)

    def asked() -> int:
        return len(runs.read_text().splitlines()) if runs.exists() else 0

    write("1.40.0")
    yield path, write, asked
    envoy_version.cache_clear()


def test_the_answer_is_remembered_until_the_binary_changes(fake_envoy):
    path, write, asked = fake_envoy
    assert envoy_version(path) == "1.40.0" and asked() == 1
    envoy_version.cache_clear()  # a new run
    assert envoy_version(path) == "1.40.0" and asked() == 1
    write("1.39.3")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    envoy_version.cache_clear()
    assert envoy_version(path) == "1.39.3" and asked() == 2


def test_a_binary_that_is_no_envoy_is_asked_every_time(fake_envoy, tmp_path):
    _, _, _ = fake_envoy
    impostor = tmp_path / "impostor"
    impostor.write_text("#!/bin/sh\necho hello\n")
    impostor.chmod(0o755)
    for _ in range(2):
        envoy_version.cache_clear()
        with pytest.raises(EnvoyBinaryError, match="not an Envoy binary"):
            envoy_version(impostor)


def test_an_unwritable_cache_only_costs_the_question(fake_envoy, monkeypatch, tmp_path):
    path, _, asked = fake_envoy
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(envoy_binary, "KNOWN_VERSIONS", blocker / "versions.json")
    assert envoy_version(path) == "1.40.0"
    envoy_version.cache_clear()
    assert envoy_version(path) == "1.40.0" and asked() == 2
