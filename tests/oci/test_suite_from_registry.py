"""``pytest --wasm oci://…`` runs the whole suite on a module pulled from a real registry."""

from __future__ import annotations

import copy
import json
import re

import pytest

from pytest_wasmhub.module import load_module
from pytest_wasmhub.oci import Package, RegistryClient, build_package, parse_reference
from pytest_wasmhub.oci import media_types as mt
from pytest_wasmhub.oci.model import canonical_json, descriptor_for

pytestmark = pytest.mark.usefixtures("clean_env")

OUTCOME_LINE = re.compile(r"^(?:\S*/)?(\w+)/test_\w+\.py::(\w+) (PASSED|FAILED|SKIPPED|ERROR)")


def push(registry, name: str, package: Package) -> str:
    reference = parse_reference(registry.reference(name))
    return RegistryClient(reference.host).push(package, reference)


def outcomes(result: pytest.RunResult) -> dict[tuple[str, str], str]:
    """(suite folder, test function) -> outcome, from ``-v`` output."""
    found = {}
    for line in result.outlines:
        match = OUTCOME_LINE.match(line.strip())
        if match:
            found[match[1], match[2]] = match[3]
    return found


def test_whole_suite_runs_on_a_module_from_the_registry(pytester, registry, example_module, tmp_path):
    module = load_module(example_module, tmp_path)
    digest = push(registry, "team/filter:v1", build_package(module, "oci", ["add_header_root"]))
    reference = registry.reference("team/filter:v1")

    result = pytester.runpytest("--wasm", reference, "-v", "-p", "no:cacheprovider")

    ran = outcomes(result)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    passed_areas = {area for (area, _), outcome in ran.items() if outcome == "PASSED"}
    assert {"abi", "envoy", "spec"} <= passed_areas, ran  # the whole suite ran on the pulled module
    assert {name: ran.get(("spec", name)) for name in SPEC_TESTS} == dict.fromkeys(SPEC_TESTS, "PASSED")
    result.stdout.fnmatch_lines(
        [
            f"*wasmhub: module {reference}*oci-registry*",
            f"manifest digest {digest} (Istio / Envoy Gateway sha256)",
        ]
    )


def test_bad_package_fails_its_case_in_the_suite(pytester, registry, root_filter):
    good = build_package(root_filter, "oci", ["filter_root"])
    config = json.dumps(
        {"type": "envoy_proxy", "abiVersions": ["v0.2.1"], "rootIds": ["filter_root"]}
    ).encode()
    bad = with_runtime_config(good, config)  # rootIds outside "config": wasme rejects the key
    push(registry, "team/misdescribed:v1", bad)

    result = pytester.runpytest(
        "--wasm",
        registry.reference("team/misdescribed:v1"),
        "-v",
        "-p",
        "no:cacheprovider",
        "-k",
        "test_spec",
    )

    ran = outcomes(result)
    failed = sorted(name for (_, name), outcome in ran.items() if outcome == "FAILED")
    assert failed == ["test_runtime_config_parses_like_wasme"], result.stdout.str()
    result.stdout.fnmatch_lines(["*runtime-config.json: unknown key 'rootIds'*"])


def with_runtime_config(good: Package, config: bytes) -> Package:
    descriptor = descriptor_for(mt.WASME_CONFIG, config)
    manifest = copy.deepcopy(good.manifest)
    manifest["config"] = descriptor
    manifest["layers"][0] = {**descriptor, "annotations": {mt.TITLE: mt.RUNTIME_CONFIG_FILE}}
    return Package(
        "bad", "built", canonical_json(manifest), blobs={**good.blobs, descriptor["digest"]: config}
    )


SPEC_TESTS = (
    "test_descriptors_match_their_blobs",
    "test_manifest_digest_is_consistent_and_recorded",
    "test_manifest_matches_its_variant",
    "test_variant_metadata",
    "test_istio_and_envoy_gateway_can_load_it",
    "test_package_holds_a_webassembly_module",
    "test_runtime_config_parses_like_wasme",
    "test_runtime_config_declares_root_ids",
    "test_declared_abi_versions_match_the_module",
    "test_module_fits_the_fetchers_limit",
    "test_every_declared_root_id_starts_in_envoy",
)
