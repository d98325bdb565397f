"""What a registry checks on the module itself, packaged or not: its size, and that its declared root ids start."""

from __future__ import annotations

from pytest_wasmhub.cases import case
from pytest_wasmhub.oci import checks


@case("SPEC-SIZE-001", area="spec", **checks.case_metadata("SPEC-SIZE-001"))
def test_module_fits_the_fetchers_limit(wasm_module, spec_verdict):
    spec_verdict(checks.check_module_size, wasm_module.size)


@case("SPEC-ROOTID-001", area="spec", **checks.case_metadata("SPEC-ROOTID-001"))
def test_every_declared_root_id_starts_in_envoy(
    oci_package, wasm_module, envoy_binary, tmp_path, spec_verdict
):
    def root_ids_start() -> list[str]:
        root_ids = checks.declared_root_ids(oci_package)
        return checks.check_root_ids_start(wasm_module.path, root_ids, tmp_path, binary=envoy_binary)

    spec_verdict(root_ids_start)
