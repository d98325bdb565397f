"""The ABI data files: valid against their JSON Schemas, and read into the pinned API."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from pytest_wasmhub.abi import (
    ABI_VERSIONS,
    HOST_PROFILES,
    AbiDataError,
    Signature,
    host_profile,
    load_abi,
    marker_name,
    version_of_marker,
)
from pytest_wasmhub.abi.catalogue import CASES, EFFECTS, SUITE_CASE_IDS
from pytest_wasmhub.cases import CASE_ID, LEVELS

PACKAGE = resources.files("pytest_wasmhub.abi")


def read(*parts: str) -> dict:
    path = PACKAGE
    for part in parts:
        path = path.joinpath(part)
    return json.loads(path.read_text())


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = read("schema", f"{name}.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("version", ABI_VERSIONS)
def test_abi_file_matches_its_schema(version):
    validator("abi").validate(read("data", f"abi-{version}.json"))


@pytest.mark.parametrize("name", HOST_PROFILES)
def test_host_profile_matches_its_schema(name):
    validator("host").validate(read("data", "hosts", f"{name}.json"))


def test_schema_rejects_a_signature_with_an_unknown_type():
    data = read("data", "abi-0.2.1.json")
    data["host_functions"]["proxy_log"]["params"] = ["i32", "u32", "i32"]
    errors = list(validator("abi").iter_errors(data))
    assert any("u32" in e.message for e in errors), [e.message for e in errors]


def test_version_specific_signatures_and_functions():
    v010, v020, v021 = (load_abi(v) for v in ABI_VERSIONS)
    assert v010.callbacks["proxy_on_request_headers"] == Signature(("i32", "i32"), ("i32",))
    assert v021.callbacks["proxy_on_request_headers"] == Signature(("i32", "i32", "i32"), ("i32",))
    assert (
        "proxy_get_configuration" in v010.host_functions
        and "proxy_get_configuration" not in v020.host_functions
    )
    assert (
        "proxy_continue_stream" in v020.host_functions and "proxy_continue_stream" not in v010.host_functions
    )
    assert "proxy_get_log_level" in v021.host_functions and "proxy_get_log_level" not in v020.host_functions
    assert "proxy_on_foreign_function" in v020.callbacks and "proxy_on_foreign_function" not in v010.callbacks
    assert v021.host_functions["proxy_increment_metric"].params == ("i32", "i64")
    assert v021.wasi_functions["clock_time_get"].params == ("i32", "i64", "i32")


def test_spec_text_discrepancies_are_recorded_with_the_implemented_type():
    v010 = load_abi("0.1.0")
    assert v010.host_functions["proxy_continue_request"] == Signature((), ("i32",))
    assert v010.spec_text_signatures["proxy_continue_request"] == Signature((), ())
    topics = {d["topic"] for d in v010.host_differences}
    assert {"start-up", "allocator", "memory", "lifecycle order"} <= topics


def test_status_codes_and_enums():
    abi = load_abi("0.2.1")
    assert abi.status_codes["OK"] == 0 and abi.status_codes["INVALID_MEMORY_ACCESS"] == 6
    assert abi.status_codes["BROKEN_CONNECTION"] == 11 and "BROKEN_CONNECTION" in abi.host_only_status_codes
    assert "BROKEN_CONNECTION" not in abi.spec_status_codes
    for name in ("log_level", "map_type", "buffer_type", "stream_type", "action", "peer_type", "metric_type"):
        assert abi.enums[name], name
    assert abi.enums["buffer_type"]["FOREIGN_FUNCTION_ARGUMENTS"] == 8
    assert "VM_CONFIGURATION" not in load_abi("0.1.0").enums["buffer_type"]
    assert load_abi("0.1.0").enums["stream_type"] == {}


def test_every_function_has_a_doc_and_a_feature():
    for version in ABI_VERSIONS:
        abi = load_abi(version)
        for table in (abi.callbacks, abi.host_functions, abi.wasi_functions):
            for name, signature in table.items():
                assert signature.doc, f"{version} {name} has no doc"
                assert name in abi.features, f"{version} {name} has no feature"


def test_markers():
    assert load_abi("0.2.1").marker == marker_name("0.2.1") == "proxy_abi_version_0_2_1"
    assert version_of_marker("proxy_abi_version_0_2_0") == "0.2.0"
    assert version_of_marker("proxy_abi_version_9_9_9") is None


def test_unknown_version_and_profile_are_clear_errors():
    with pytest.raises(AbiDataError, match=r"unknown proxy-wasm ABI version '0\.3\.0'; known: 0\.1\.0"):
        load_abi("0.3.0")
    with pytest.raises(AbiDataError, match="unknown host profile 'nginx'; known: envoy, spec"):
        host_profile("nginx")


def test_envoy_profile_is_version_gated_and_wider_than_the_spec():
    envoy, spec = host_profile("envoy"), host_profile("spec")
    assert ("env", "proxy_get_log_level") in envoy.imports("0.2.1")
    assert ("env", "proxy_get_log_level") not in envoy.imports("0.2.0")
    assert ("wasi_unstable", "fd_write") in envoy.imports("0.2.1")
    assert ("wasi_unstable", "fd_write") not in spec.imports("0.2.1")
    assert envoy.imports("0.2.1")[("wasi_snapshot_preview1", "path_symlink")].params == ("i32",) * 4
    assert set(spec.imports("0.2.1")) < set(envoy.imports("0.2.1"))
    assert envoy.allocator_lookup == ("malloc", "proxy_on_memory_allocate")
    assert spec.allocator_lookup == ("proxy_on_memory_allocate", "malloc")
    assert ("env", "proxy_log") in envoy.start_up_allowed
    assert ("env", "proxy_get_header_map_value") not in envoy.start_up_allowed
    assert envoy.http_lifecycle.index("proxy_on_log") < envoy.http_lifecycle.index("proxy_on_done")
    assert spec.http_lifecycle.index("proxy_on_done") < spec.http_lifecycle.index("proxy_on_log")
    assert "proxy_validate_configuration" in envoy.callbacks("0.2.1")
    assert "proxy_on_foreign_function" not in envoy.callbacks("0.1.0")


def test_case_catalogue_is_well_formed():
    for case_id, case in CASES.items():
        assert CASE_ID.match(case_id) and case_id.startswith("ABI-")
        assert case.level in LEVELS and case.effect in EFFECTS
        assert case.title and case.spec and case.reference
    assert set(SUITE_CASE_IDS) == set(CASES) - {"ABI-WASM-001"}
