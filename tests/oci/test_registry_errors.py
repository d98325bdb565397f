"""Registry trouble (unreachable, unknown tag, authentication, bad reference) is one clear line, never a traceback."""

from __future__ import annotations

import pytest

from pytest_wasmhub.cli import main as wasmhub
from pytest_wasmhub.module import ModuleError, load_module
from pytest_wasmhub.oci import RegistryClient, RegistryError, build_package, parse_reference
from pytest_wasmhub.oci.registry import INSECURE_ENV, PASSWORD_ENV, USERNAME_ENV

pytestmark = pytest.mark.usefixtures("clean_env")


def test_unreachable_registry(closed_port, tmp_path):
    reference = f"oci://127.0.0.1:{closed_port}/team/filter:v1"
    with pytest.raises(ModuleError) as error:
        load_module(reference, tmp_path)
    assert str(error.value).startswith(f"{reference}: cannot reach the registry at http://127.0.0.1:")
    assert str(error.value).endswith("(connection refused)")


def test_unreachable_registry_is_a_usage_error_of_the_suite(pytester, closed_port):
    reference = f"oci://127.0.0.1:{closed_port}/team/filter:v1"
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--wasm", reference)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {reference}: cannot reach the registry at *(connection refused)"])
    assert "Traceback" not in result.stderr.str()


def test_unknown_tag(registry, repository, root_filter, tmp_path):
    reference = parse_reference(registry.reference(f"{repository}:v1"))
    RegistryClient(reference.host).push(build_package(root_filter, "oci", ["filter_root"]), reference)
    unknown = registry.reference(f"{repository}:v9")
    with pytest.raises(ModuleError, match=r"^oci://\S+:v9: v9 not found in tests/\S+ on 127\.0\.0\.1:\d+$"):
        load_module(unknown, tmp_path)


def test_unknown_repository(registry, tmp_path):
    with pytest.raises(ModuleError, match=r": v1 not found in nobody/here on 127\.0\.0\.1:\d+$"):
        load_module(registry.reference("nobody/here:v1"), tmp_path)


def test_authentication_required(auth_registry, tmp_path):
    reference = auth_registry.reference("team/filter:v1")
    with pytest.raises(ModuleError) as error:
        load_module(reference, tmp_path)
    message = str(error.value)
    assert message.startswith(f"{reference}: the registry requires authentication (401 Unauthorized")
    assert f"docker login {auth_registry.host}" in message and USERNAME_ENV in message


def test_credentials_without_a_token_service(auth_registry, tmp_path, monkeypatch):
    monkeypatch.setenv(USERNAME_ENV, "author")
    monkeypatch.setenv(PASSWORD_ENV, "secret")
    reference = auth_registry.reference("team/filter:v1")
    with pytest.raises(
        ModuleError, match=r"the token service http://127\.0\.0\.1:\d+/token gave no token: 404"
    ):
        load_module(reference, tmp_path)


def test_authentication_required_is_a_usage_error_of_the_suite(pytester, auth_registry):
    reference = auth_registry.reference("team/filter:v1")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--wasm", reference)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {reference}: the registry requires authentication*"])
    assert "Traceback" not in result.stderr.str()


def test_endpoint_that_is_not_a_registry(httpserver, tmp_path):
    reference = f"oci://127.0.0.1:{httpserver.port}/team/filter:v1"
    with pytest.raises(ModuleError, match=r"/v2/ is not an OCI registry endpoint: 500"):
        load_module(reference, tmp_path)


def test_package_command_push_to_an_unreachable_registry(root_filter, closed_port, capsys):
    target = f"oci://127.0.0.1:{closed_port}/team/filter:v1"
    code = wasmhub(
        ["package", str(root_filter.path), "--root-id", "filter_root", "--no-envoy", "--push", target]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith(f"wasmhub package: error: {target}: cannot reach the registry")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("oci://127.0.0.1:5000", "expected oci://HOST[:PORT]/REPOSITORY:TAG"),
        (
            "oci://127.0.0.1:5000/Team/Filter:v1",
            "'Team/Filter' is not a valid repository name (lowercase, / separated)",
        ),
        ("oci://127.0.0.1:5000/team/filter:v1!", "'v1!' is not a valid tag"),
        (
            "oci://127.0.0.1:5000/team/filter@sha256:abc",
            "the digest 'sha256:abc' is not 64 lowercase hex digits",
        ),
        ("oci://bad host/team/filter:v1", "'bad host' is not a registry host[:port]"),
    ],
)
def test_malformed_reference(text, problem, tmp_path):
    with pytest.raises(ModuleError) as error:
        load_module(text, tmp_path)
    assert str(error.value) == f"{text}: {problem}"


def test_plain_http_only_for_loopback_or_when_allowed(monkeypatch):
    assert RegistryClient("127.0.0.1:5000").base_url == "http://127.0.0.1:5000"
    assert RegistryClient("localhost:5000").base_url == "http://localhost:5000"
    assert RegistryClient("[::1]:5000").base_url == "http://[::1]:5000"
    assert RegistryClient("registry.example:5000").base_url == "https://registry.example:5000"
    assert RegistryClient("registry.example:5000", insecure=True).base_url == "http://registry.example:5000"
    monkeypatch.setenv(INSECURE_ENV, "1")
    assert RegistryClient("registry.example:5000").base_url == "http://registry.example:5000"
    assert RegistryClient("registry.example:5000", insecure=False).base_url == "https://registry.example:5000"


def test_pushing_a_package_with_a_missing_blob_is_refused(registry, root_filter):
    package = build_package(root_filter, "oci", ["filter_root"])
    del package.blobs[package.layers[1]["digest"]]
    reference = parse_reference(registry.reference("tests/missing-blob:v1"))
    with pytest.raises(RegistryError, match=r"cannot push, layers\[1\] blob sha256:\w+ is missing"):
        RegistryClient(reference.host).push(package, reference)
