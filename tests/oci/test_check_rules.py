"""The rules behind each spec case, one package at a time (no registry needed): each check can fail."""

from __future__ import annotations

import copy
import json

import pytest

from pytest_wasmhub.oci import Package, build_package, checks, run_checks
from pytest_wasmhub.oci import media_types as mt
from pytest_wasmhub.oci.model import canonical_json, descriptor_for
from pytest_wasmhub.oci.runtime_config import parse_runtime_config

LEGACY = "v0-541b2c1155fffb15ccde92b8324f3e38f7339ba6"


def failures(package: Package) -> dict[str, list[str]]:
    return {o.check.case_id: o.messages for o in run_checks(package) if o.status == "fail"}


def oci_with(
    good: Package, config: dict | None = None, annotations: dict | None = None, edit=None
) -> Package:
    manifest = copy.deepcopy(good.manifest)
    blobs = dict(good.blobs)
    if config is not None:
        data = json.dumps(config).encode()
        descriptor = descriptor_for(mt.WASME_CONFIG, data)
        manifest["config"] = descriptor
        manifest["layers"][0] = {**descriptor, "annotations": {mt.TITLE: mt.RUNTIME_CONFIG_FILE}}
        blobs[descriptor["digest"]] = data
    if annotations is not None:
        manifest["annotations"] = annotations
    if edit is not None:
        edit(manifest)
    return Package("test", "built", canonical_json(manifest), blobs=blobs)


@pytest.fixture
def good(root_filter) -> Package:
    return build_package(root_filter, "oci", ["filter_root"])


def test_size_limit_is_256_mib():
    assert checks.check_module_size(mt.MAX_MODULE_BYTES) == []
    (problem,) = checks.check_module_size(mt.MAX_MODULE_BYTES + 1)
    assert problem.startswith(f"the module is {mt.MAX_MODULE_BYTES + 1} bytes (256.0 MiB)")


@pytest.mark.parametrize(
    "config",
    [
        {"type": "envoy_proxy", "abi_versions": ["v0.2.1"], "config": {"root_ids": ["filter_root"]}},
        {"type": "envoy_proxy", "abiVersions": [LEGACY, "v0.2.1"], "config": {"rootIds": ["filter_root"]}},
        {"type": "envoy_proxy", "abiVersions": ["0.2.1"], "config": {"rootIds": ["filter_root"]}},
    ],
    ids=["snake-case-names", "legacy-name-beside-the-version", "bare-version"],
)
def test_descriptions_wasme_accepts(good, config):
    assert failures(oci_with(good, config)) == {}


@pytest.mark.parametrize(
    ("config", "case_id", "message"),
    [
        ({"type": "envoy_proxy", "abiVersions": [], "config": {"rootIds": ["filter_root"]}}, "SPEC-ABI-001",
         'runtime-config.json.abiVersions: is empty; declare ["v0.2.1"]'),
        ({"type": "envoy_proxy", "abiVersions": [LEGACY], "config": {"rootIds": ["filter_root"]}}, "SPEC-ABI-001",
         "runtime-config.json.abiVersions: does not list v0.2.1"),
        ({"type": "envoy_proxy", "abiVersions": ["latest"], "config": {"rootIds": ["filter_root"]}}, "SPEC-ABI-001",
         'runtime-config.json.abiVersions[0]: "latest" names no ABI version'),
        ({"type": "envoy_proxy", "abiVersions": ["v0.2.1"], "config": {"rootIds": []}}, "SPEC-CONFIG-002",
         "runtime-config.json.config.rootIds: is empty"),
        ({"type": "envoy_proxy", "abiVersions": "v0.2.1", "config": {"rootIds": ["filter_root"]}}, "SPEC-CONFIG-001",
         "runtime-config.json.abiVersions: is a string, expected array or null"),
        ({"abiVersions": ["v0.2.1"], "config": {"rootIds": ["filter_root"]}}, "SPEC-CONFIG-001",
         'runtime-config.json.type: is missing, expected "envoy_proxy"'),
    ],
    ids=["no-abi-version", "only-a-legacy-name", "not-a-version", "no-root-id", "string-not-list", "no-type"],
)  # fmt: skip
def test_description_problems(good, config, case_id, message):
    found = failures(oci_with(good, config))
    assert list(found) == [case_id], found
    assert any(m.startswith(message) for m in found[case_id]), found


def test_annotations_must_agree_with_the_module_and_the_config(good):
    found = failures(
        oci_with(good, annotations={mt.RUNTIME_TYPE: "envoy_proxy", mt.RUNTIME_ABI_VERSION: "v0.2.0"})
    )
    assert list(found) == ["SPEC-ABI-001"], found
    assert found["SPEC-ABI-001"][0].startswith(
        "annotations.module.wasm.runtime/abi_version[0]: declares v0.2.0, but the module exports "
        "proxy_abi_version_0_2_1 only"
    )
    found = failures(oci_with(good, annotations={mt.RUNTIME_TYPE: "wasmtime"}))
    assert list(found) == ["SPEC-CONFIG-001"], found


def test_wasme_metadata_is_a_should(good):
    def retitle(manifest):
        manifest["layers"][1]["annotations"] = {mt.TITLE: "main.wasm"}

    outcomes = {o.check.case_id: o for o in run_checks(oci_with(good, edit=retitle))}
    metadata = outcomes["SPEC-VARIANT-002"]
    assert metadata.status == "fail" and metadata.check.level == checks.SHOULD
    assert metadata.messages == [
        'layers[1].annotations.org.opencontainers.image.title: is "main.wasm", expected "filter.wasm"'
    ]
    assert [o.check.case_id for o in outcomes.values() if o.status == "fail"] == ["SPEC-VARIANT-002"]


def test_compat_without_its_variant_annotation(root_filter):
    good = build_package(root_filter, "compat", ["filter_root"])
    manifest = copy.deepcopy(good.manifest)
    del manifest["annotations"]
    found = failures(Package("test", "built", canonical_json(manifest), blobs=good.blobs))
    assert found == {
        "SPEC-VARIANT-002": ['annotations.module.wasm.image/variant: is null, expected "compat"']
    }


def test_compat_layer_type_must_match_the_manifest_type(root_filter):
    good = build_package(root_filter, "compat", ["filter_root"])
    manifest = copy.deepcopy(good.manifest)
    manifest["layers"][0]["mediaType"] = mt.DOCKER_LAYER_TAR_GZIP  # a Docker layer under an OCI manifest
    found = failures(Package("test", "built", canonical_json(manifest), blobs=good.blobs))
    assert list(found) == ["SPEC-VARIANT-001"], found
    assert found["SPEC-VARIANT-001"][0].startswith(
        'layers[0].mediaType: is "application/vnd.docker.image.rootfs'
    )


def test_wasm_to_oci_artifact_is_refused_and_flagged(root_filter):
    layer = descriptor_for(mt.WASM_TO_OCI_LAYER, root_filter.data)
    config = descriptor_for(mt.WASM_TO_OCI_CONFIG, b"{}")
    manifest = {"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "config": config, "layers": [layer]}
    package = Package(
        "test",
        "built",
        canonical_json(manifest),
        blobs={layer["digest"]: root_filter.data, config["digest"]: b"{}"},
    )
    found = failures(package)
    assert sorted(found) == ["SPEC-VARIANT-001", "SPEC-VARIANT-003"]
    assert found["SPEC-VARIANT-001"][0].startswith("manifest: a wasm-to-oci artifact")


def test_manifest_that_is_not_json():
    outcomes = run_checks(Package("test", "built", b"<html>registry error page</html>"))
    failed = [o for o in outcomes if o.status == "fail"]
    assert [o.check.case_id for o in failed] == ["SPEC-VARIANT-001"]
    assert "the manifest is not JSON" in failed[0].messages[0]


def test_spec_example_spelling_gets_a_pointer():
    parsed = parse_runtime_config(
        b'{"type": "envoy_proxy", "abi_version": "v0-541b", "config": {"root_ids": []}}'
    )
    assert parsed.errors == [
        "runtime-config.json: unknown key 'abi_version' (known keys: abiVersions, abi_versions, config, type)"
    ]
    assert parsed.warnings and "abiVersions" in parsed.warnings[0]


def test_every_case_has_a_check_and_metadata():
    assert set(checks.STATIC_CHECKS) | {"SPEC-ROOTID-001"} == set(checks.CHECKS)
    for check in checks.CHECKS.values():
        assert check.level in (checks.MUST, checks.SHOULD) and check.spec and check.reference
