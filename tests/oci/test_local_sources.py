"""``--wasm`` with an OCI layout or a .tar: which image is taken, and bad input as one clear line."""

from __future__ import annotations

import json
import tarfile

import pytest

from pytest_wasmhub.module import ModuleError, load_module
from pytest_wasmhub.oci import Package, build_package, write_archive, write_layout
from pytest_wasmhub.oci.model import canonical_json


def test_plain_directory_keeps_the_directory_error(tmp_path):
    with pytest.raises(ModuleError, match=r"is a directory, not a \.wasm or \.wat file$"):
        load_module(tmp_path, tmp_path)


def test_missing_tar_is_no_such_file(tmp_path):
    with pytest.raises(ModuleError, match=r"filter\.tar: no such file$"):
        load_module(tmp_path / "filter.tar", tmp_path)


def test_tar_that_is_not_an_archive(tmp_path):
    archive = tmp_path / "filter.tar"
    archive.write_bytes(b"\0asm\1\0\0\0")
    with pytest.raises(
        ModuleError,
        match=r"filter\.tar: not a tar archive \(neither plain nor gzip, bz2 or xz compressed\); give an OCI",
    ):
        load_module(archive, tmp_path)


def test_tar_of_something_else(tmp_path, root_filter):
    archive = tmp_path / "filter.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(root_filter.path, arcname="filter.wasm")
    with pytest.raises(ModuleError, match=r"neither an OCI image layout nor a docker save archive$"):
        load_module(archive, tmp_path)


def test_layout_with_two_images_needs_a_tag(tmp_path, root_filter):
    layout = write_layout(build_package(root_filter, "oci", ["filter_root"]), tmp_path / "layout", tag="v1")
    other = write_layout(build_package(root_filter, "cncf"), tmp_path / "other", tag="v2")
    index = json.loads((layout / "index.json").read_text())
    index["manifests"] += json.loads((other / "index.json").read_text())["manifests"]
    (layout / "index.json").write_text(json.dumps(index))
    for blob in (other / "blobs" / "sha256").iterdir():
        (layout / "blobs" / "sha256" / blob.name).write_bytes(blob.read_bytes())

    with pytest.raises(
        ModuleError, match=r"index\.json: holds 2 manifests; name one as PATH:TAG \(v1, v2\)$"
    ):
        load_module(layout, tmp_path / "work")
    assert load_module(f"{layout}:v1", tmp_path / "work").package["variant"] == "oci"
    assert load_module(f"{layout}:v2", tmp_path / "work").package["variant"] == "cncf"
    with pytest.raises(ModuleError, match=r"no manifest is tagged 'v3' \(tags: v1, v2\)$"):
        load_module(f"{layout}:v3", tmp_path / "work")


def test_layout_whose_manifest_blob_is_gone(tmp_path, root_filter):
    package = build_package(root_filter, "oci", ["filter_root"])
    layout = write_layout(package, tmp_path / "layout")
    (layout / "blobs" / "sha256" / package.manifest_digest.split(":")[1]).unlink()
    with pytest.raises(ModuleError, match=r"index\.json: names sha256:\w+, but its blob is absent$"):
        load_module(layout, tmp_path / "work")


def test_package_without_a_module_is_a_usage_error(tmp_path, root_filter):
    package = build_package(root_filter, "oci", ["filter_root"])
    package.manifest["layers"].pop()  # keep only the config layer
    broken = Package("x", "built", canonical_json(package.manifest), blobs=package.blobs)
    archive = write_archive(broken, tmp_path / "filter.tar")
    with pytest.raises(ModuleError, match=r"filter\.tar: manifest\.layers: no layer of media type"):
        load_module(archive, tmp_path / "work")
