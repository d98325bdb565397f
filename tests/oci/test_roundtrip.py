"""Each variant survives a trip through a real registry (and through layouts and archives on disk)."""

from __future__ import annotations

import pytest

from pytest_wasmhub.cli import main as wasmhub
from pytest_wasmhub.module import load_module
from pytest_wasmhub.oci import (
    RegistryClient,
    build_package,
    checks,
    parse_reference,
    read_archive,
    read_layout,
    run_checks,
    write_archive,
    write_layout,
)
from pytest_wasmhub.oci.variants import VARIANTS, detect_variant

ROOT_IDS = {"oci": ["filter_root", "second_root"], "compat": ["filter_root"], "cncf": []}


def failing(outcomes):
    return {o.check.case_id: o.messages for o in outcomes if o.status == "fail"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_round_trips_through_the_registry(variant, registry, repository, root_filter, tmp_path):
    package = build_package(root_filter, variant, ROOT_IDS[variant])
    reference = parse_reference(registry.reference(f"{repository}:v1"))
    pushed_digest = RegistryClient(reference.host).push(package, reference)
    assert pushed_digest == package.manifest_digest

    module = load_module(str(reference), tmp_path)

    assert module.kind == "oci-registry"
    assert module.data == root_filter.data
    assert module.path.read_bytes() == root_filter.data
    assert module.package["variant"] == variant
    assert module.package["manifest_digest"] == pushed_digest
    assert module.package["module_sha256"] == f"sha256:{root_filter.sha256}"
    pulled = module.package["contents"]
    assert pulled.manifest_bytes == package.manifest_bytes
    # the registry vouched for the manifest digest; the checks compared it with the bytes
    assert any("Docker-Content-Digest" in claim.where for claim in pulled.manifest_claims)
    loadable = {"oci": {}, "compat": {}, "cncf": {"SPEC-VARIANT-003"}}[variant]
    assert set(failing(run_checks(pulled))) == set(loadable)


def test_pull_by_digest_names_the_manifest_digest(registry, repository, root_filter, tmp_path):
    package = build_package(root_filter, "oci", ["filter_root"])
    reference = parse_reference(registry.reference(f"{repository}:v1"))
    digest = RegistryClient(reference.host).push(package, reference)

    module = load_module(registry.reference(f"{repository}@{digest}"), tmp_path)

    claims = module.package["contents"].manifest_claims
    assert [c.where for c in claims if c.digest == digest][:1] == ["the reference"]
    assert not failing(run_checks(module.package["contents"]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_layout_and_archive_round_trip(variant, root_filter, tmp_path):
    package = build_package(root_filter, variant, ROOT_IDS[variant])
    layout = write_layout(package, tmp_path / "layout", tag="v1")
    archive = write_archive(package, tmp_path / "image.tar", tag="v1")

    for reread in (read_layout(layout), read_archive(archive, "v1")):
        assert reread.manifest_bytes == package.manifest_bytes
        assert reread.blobs == package.blobs
        assert detect_variant(reread) == variant
    for source in (str(layout), f"{archive}:v1"):
        module = load_module(source, tmp_path / "work")
        assert module.data == root_filter.data
        assert module.package["manifest_digest"] == package.manifest_digest


def test_package_command_pushes_a_package_that_passes_every_case(registry, repository, root_filter, capsys):
    target = registry.reference(f"{repository}:v1")
    code = wasmhub(
        [
            "package",
            str(root_filter.path),
            "--root-id",
            "filter_root",
            "--root-id",
            "second_root",
            "--push",
            target,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAIL" not in out and "WARN" not in out
    assert f"pushed {target}" in out

    pulled = RegistryClient(registry.host).pull(parse_reference(target))
    outcomes = run_checks(pulled, envoy_workdir=None)
    assert not failing(outcomes)
    assert checks.declared_root_ids(pulled) == ("filter_root", "second_root")


def test_package_command_refuses_a_root_id_the_module_does_not_start(root_filter, tmp_path, capsys):
    output = tmp_path / "layout"
    code = wasmhub(["package", str(root_filter.path), "--root-id", "ghost_root", "-o", str(output)])
    out = capsys.readouterr()
    assert code == 1
    assert "SPEC-ROOTID-001" in out.out and "rootIds[0]" in out.out and "ghost_root" in out.out
    assert "nothing was written" in out.err
    assert not output.exists()


def test_package_command_writes_an_archive_the_suite_reads(root_filter, tmp_path, capsys):
    archive = tmp_path / "filter.tar"
    code = wasmhub(
        ["package", str(root_filter.path), "--variant", "compat", "--root-id", "filter_root", "--no-envoy",
         "-o", str(archive), "--tag", "v2"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr()
    module = load_module(f"{archive}:v2", tmp_path / "work")
    assert module.kind == "oci-archive"
    assert module.package["variant"] == "compat"
    assert module.package["module_location"] == "layers[0] (plugin.wasm)"
