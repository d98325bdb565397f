"""The module's package: integrity, format, description (runtime-config.json) and size.

The checks live in ``pytest_wasmhub.oci.checks`` so that ``wasmhub package`` applies the very same
rules before it writes or pushes a package.
"""

from __future__ import annotations

from pytest_wasmhub.cases import case
from pytest_wasmhub.oci import checks


@case("SPEC-DIGEST-001", area="spec", **checks.case_metadata("SPEC-DIGEST-001"))
def test_descriptors_match_their_blobs(oci_package, spec_verdict):
    spec_verdict(checks.check_descriptor_digests, oci_package)


@case("SPEC-DIGEST-002", area="spec", **checks.case_metadata("SPEC-DIGEST-002"))
def test_manifest_digest_is_consistent_and_recorded(oci_package, spec_verdict, record_property):
    for name, value in checks.recorded_digests(oci_package).items():
        record_property(name, value)
    spec_verdict(checks.check_manifest_digest, oci_package)


@case("SPEC-VARIANT-001", area="spec", **checks.case_metadata("SPEC-VARIANT-001"))
def test_manifest_matches_its_variant(oci_package, spec_verdict):
    spec_verdict(checks.check_variant_shape, oci_package)


@case("SPEC-VARIANT-002", area="spec", **checks.case_metadata("SPEC-VARIANT-002"))
def test_variant_metadata(oci_package, spec_verdict):
    spec_verdict(checks.check_variant_metadata, oci_package)


@case("SPEC-VARIANT-003", area="spec", **checks.case_metadata("SPEC-VARIANT-003"))
def test_istio_and_envoy_gateway_can_load_it(oci_package, spec_verdict):
    spec_verdict(checks.check_loadable, oci_package)


@case("SPEC-MODULE-001", area="spec", **checks.case_metadata("SPEC-MODULE-001"))
def test_package_holds_a_webassembly_module(oci_package, spec_verdict):
    spec_verdict(checks.check_module_binary, oci_package)


@case("SPEC-CONFIG-001", area="spec", **checks.case_metadata("SPEC-CONFIG-001"))
def test_runtime_config_parses_like_wasme(oci_package, spec_verdict):
    spec_verdict(checks.check_runtime_config, oci_package)


@case("SPEC-CONFIG-002", area="spec", **checks.case_metadata("SPEC-CONFIG-002"))
def test_runtime_config_declares_root_ids(oci_package, spec_verdict):
    spec_verdict(checks.check_root_ids_declared, oci_package)


@case("SPEC-ABI-001", area="spec", **checks.case_metadata("SPEC-ABI-001"))
def test_declared_abi_versions_match_the_module(oci_package, spec_verdict):
    spec_verdict(checks.check_abi_versions, oci_package)
