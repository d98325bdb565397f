"""Each bad package fails exactly its own spec case, with a message that names the field.

Packages go through the real registry: built from a good one, pushed, sometimes damaged behind the
registry's back (its storage, or its blob DELETE), pulled, checked. Verdicts are computed by the
checks; only the expected failing case id is written down.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import tarfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pytest_wasmhub.oci import Package, RegistryClient, build_package, parse_reference, run_checks
from pytest_wasmhub.oci import media_types as mt
from pytest_wasmhub.oci.layout import write_layout
from pytest_wasmhub.oci.model import canonical_json, descriptor_for
from pytest_wasmhub.oci.source import read_package

GOOD_CONFIG = {"type": "envoy_proxy", "abiVersions": ["v0.2.1"], "config": {"rootIds": ["filter_root"]}}


def failing(package: Package, **kwargs) -> dict[str, list[str]]:
    return {o.check.case_id: o.messages for o in run_checks(package, **kwargs) if o.status == "fail"}


def rebuilt(good: Package, manifest: dict, extra_blobs: dict[str, bytes] | None = None) -> Package:
    return Package("bad", "built", canonical_json(manifest), blobs={**good.blobs, **(extra_blobs or {})})


def with_config(good: Package, config: dict) -> Package:
    """An oci-variant package whose runtime config (manifest config and layer 0) is ``config``."""
    data = json.dumps(config).encode()
    descriptor = descriptor_for(mt.WASME_CONFIG, data)
    manifest = copy.deepcopy(good.manifest)
    manifest["config"] = descriptor
    manifest["layers"][0] = {**descriptor, "annotations": {mt.TITLE: mt.RUNTIME_CONFIG_FILE}}
    return rebuilt(good, manifest, {descriptor["digest"]: data})


def edit_manifest(edit: Callable[[dict], None], extra_blobs: dict[str, bytes] | None = None):
    def make(good: Package) -> Package:
        manifest = copy.deepcopy(good.manifest)
        edit(manifest)
        return rebuilt(good, manifest, extra_blobs)

    return make


README = b"# filter\n"


def add_readme_layer(manifest: dict) -> None:
    manifest["layers"].append(descriptor_for("text/markdown", README, {mt.TITLE: "README.md"}))


def set_layer(index: int, key: str, value):
    def edit(manifest: dict) -> None:
        manifest["layers"][index][key] = value

    return edit


def wasm_layer_holding(data: bytes) -> Callable[[Package], Package]:
    def make(good: Package) -> Package:
        manifest = copy.deepcopy(good.manifest)
        manifest["layers"][1] = descriptor_for(mt.WASME_CONTENT, data, {mt.TITLE: mt.WASME_MODULE_TITLE})
        return rebuilt(good, manifest, {manifest["layers"][1]["digest"]: data})

    return make


def compat_without_plugin_wasm(good: Package, module: bytes) -> Package:
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        info = tarfile.TarInfo("filter.wasm")  # the wasme title, not the name Istio looks for
        info.size = len(module)
        tar.addfile(info, io.BytesIO(module))
    layer = gzip.compress(tar_bytes.getvalue(), mtime=0)
    manifest = copy.deepcopy(good.manifest)
    manifest["layers"] = [descriptor_for(mt.OCI_LAYER_TAR_GZIP, layer)]
    return rebuilt(good, manifest, {manifest["layers"][0]["digest"]: layer})


def cncf_with_wrong_layer_digests(good: Package) -> Package:
    config = {"architecture": "wasm", "os": "wasip1", "layerDigests": ["sha256:" + "0" * 64]}
    data = canonical_json(config)
    manifest = copy.deepcopy(good.manifest)
    manifest["config"] = descriptor_for(mt.CNCF_WASM_CONFIG, data)
    return rebuilt(good, manifest, {manifest["config"]["digest"]: data})


@dataclass
class BadPackage:
    variant: str
    make: Callable[[Package], Package]
    case_id: str
    field: str  # what the failure message must name


BAD_PACKAGES = {
    "wrong-size": BadPackage("oci", edit_manifest(set_layer(1, "size", 4096)), "SPEC-DIGEST-001", "layers[1].size"),
    "missing-module-layer": BadPackage(
        "oci", edit_manifest(lambda m: m["layers"].pop(1)), "SPEC-VARIANT-001", "manifest.layers"
    ),
    "three-layers": BadPackage(
        "oci",
        edit_manifest(add_readme_layer, {descriptor_for("text/markdown", README)["digest"]: README}),
        "SPEC-VARIANT-001",
        "manifest.layers",
    ),
    "abi-versions-disagree": BadPackage(
        "oci", lambda g: with_config(g, {**GOOD_CONFIG, "abiVersions": ["v0.1.0"]}), "SPEC-ABI-001",
        "runtime-config.json.abiVersions[0]",
    ),
    "unknown-config-key": BadPackage(
        "oci", lambda g: with_config(g, {**GOOD_CONFIG, "description": "adds a header"}), "SPEC-CONFIG-001",
        "unknown key 'description'",
    ),
    "unknown-envoy-config-key": BadPackage(
        "oci",
        lambda g: with_config(g, {**GOOD_CONFIG, "config": {"rootIds": ["filter_root"], "vmId": "x"}}),
        "SPEC-CONFIG-001",
        "runtime-config.json.config: unknown key 'vmId'",
    ),
    "runtime-type-not-envoy": BadPackage(
        "oci", lambda g: with_config(g, {**GOOD_CONFIG, "type": "istio_proxy"}), "SPEC-CONFIG-001",
        "runtime-config.json.type",
    ),
    "not-a-wasm-media-type": BadPackage(
        "oci",
        edit_manifest(set_layer(1, "mediaType", "application/octet-stream")),
        "SPEC-VARIANT-001",
        "manifest.layers[1].mediaType",
    ),
    "not-wasm-bytes": BadPackage(
        "oci", wasm_layer_holding(b'{"not": "a module"}'), "SPEC-MODULE-001", "layers[1]: not a WebAssembly module"
    ),
    "compat-without-plugin-wasm": BadPackage(
        "compat", lambda g: compat_without_plugin_wasm(g, g.blobs[g.layers[0]["digest"]]), "SPEC-VARIANT-001",
        "holds no plugin.wasm",
    ),
    "cncf-layer-digests": BadPackage("cncf", cncf_with_wrong_layer_digests, "SPEC-VARIANT-001", "config.layerDigests"),
}  # fmt: skip
ROOT_IDS = {"oci": ["filter_root"], "compat": ["filter_root"], "cncf": []}


def push_and_pull(registry, repository: str, package: Package) -> Package:
    reference = parse_reference(registry.reference(f"{repository}:bad"))
    client = RegistryClient(reference.host)
    client.push(package, reference)
    return client.pull(reference)


@pytest.mark.parametrize("name", BAD_PACKAGES)
def test_bad_package_fails_exactly_its_case(name, registry, repository, root_filter):
    bad = BAD_PACKAGES[name]
    good = build_package(root_filter, bad.variant, ROOT_IDS[bad.variant])
    assert not failing(good, envoy_workdir=None).keys() - {"SPEC-VARIANT-003"}

    pulled = push_and_pull(registry, repository, bad.make(good))

    failures = failing(pulled)
    if bad.variant == "cncf":  # a CNCF artifact is always flagged as not loadable by Istio/Envoy Gateway
        failures.pop("SPEC-VARIANT-003", None)
    assert list(failures) == [bad.case_id], failures
    assert any(bad.field in message for message in failures[bad.case_id]), failures


def test_wrong_digest_in_registry_storage_fails_the_digest_case(private_registry, repository, root_filter):
    good = build_package(root_filter, "oci", ["filter_root"])
    reference = parse_reference(private_registry.reference(f"{repository}:v1"))
    RegistryClient(reference.host).push(good, reference)
    # Rewrite the module blob in the registry's storage: still a valid module, same length, other bytes
    blob = private_registry.blob_file(good.layers[1]["digest"])
    blob.write_bytes(blob.read_bytes().replace(b"root id not registered", b"root id NOT registered"))

    failures = failing(RegistryClient(reference.host).pull(reference))

    assert list(failures) == ["SPEC-DIGEST-001"], failures
    (message,) = failures["SPEC-DIGEST-001"]
    assert message.startswith(
        f"layers[1].digest: is {good.layers[1]['digest']}, but the blob's bytes hash to"
    )


def test_blob_deleted_from_the_registry_fails_the_digest_case(registry, repository, root_filter, tmp_path):
    good = build_package(root_filter, "oci", ["filter_root"])
    reference = parse_reference(registry.reference(f"{repository}:v1"))
    RegistryClient(reference.host).push(good, reference)
    digest = good.layers[1]["digest"]
    request = urllib.request.Request(
        f"http://{registry.host}/v2/{repository}/blobs/{digest}", method="DELETE"
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 202

    failures = failing(RegistryClient(reference.host).pull(reference))

    assert list(failures) == ["SPEC-DIGEST-001"], failures
    assert failures["SPEC-DIGEST-001"][0].startswith(f"layers[1]: blob {digest} is missing")


def test_index_that_misnames_the_manifest_fails_the_manifest_digest_case(root_filter, tmp_path):
    good = build_package(root_filter, "oci", ["filter_root"])
    layout = write_layout(good, tmp_path / "layout")
    index = json.loads((layout / "index.json").read_text())
    index["manifests"][0]["size"] += 1
    (layout / "index.json").write_text(json.dumps(index))

    failures = failing(read_package(str(layout)))

    assert list(failures) == ["SPEC-DIGEST-002"], failures
    assert failures["SPEC-DIGEST-002"][0].startswith("index.json: gives size")


def test_spec_example_spelling_abi_version_fails_with_a_pointer_to_abiVersions(root_filter):
    config = {"type": "envoy_proxy", "abi_version": "v0.2.1", "config": {"root_ids": ["filter_root"]}}
    bad = with_config(build_package(root_filter, "oci", ["filter_root"]), config)

    failures = failing(bad)

    assert list(failures) == ["SPEC-CONFIG-001"], failures
    first, note = failures["SPEC-CONFIG-001"]
    assert first.startswith("runtime-config.json: unknown key 'abi_version'")
    assert note.startswith("note: runtime-config.json.abi_version:") and '"abiVersions"' in note


def test_root_id_the_module_does_not_register_fails_in_envoy(registry, repository, root_filter, tmp_path):
    config = {**GOOD_CONFIG, "config": {"rootIds": ["filter_root", "ghost_root"]}}
    pulled = push_and_pull(
        registry, repository, with_config(build_package(root_filter, "oci", ["filter_root"]), config)
    )

    failures = failing(pulled, envoy_workdir=tmp_path)

    assert list(failures) == ["SPEC-ROOTID-001"], failures
    (message,) = failures["SPEC-ROOTID-001"]
    assert message.startswith("runtime-config.json.config.rootIds[1]: Envoy did not start 'ghost_root'")
