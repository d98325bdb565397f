"""``docker save`` archives of a compat image: read as the image ``docker push`` would publish."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import uuid

import pytest

from pytest_wasmhub.module import load_module
from pytest_wasmhub.oci import read_archive, run_checks


def _docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0


@pytest.fixture(scope="module")
def saved_image(tmp_path_factory, root_filter):
    """``docker build`` of FROM scratch + plugin.wasm (no pull needed), then ``docker save``."""
    if not _docker_works():
        pytest.skip("no usable Docker engine (docker info failed)")
    context = tmp_path_factory.mktemp("docker-context")
    (context / "plugin.wasm").write_bytes(root_filter.data)
    (context / "Dockerfile").write_text("FROM scratch\nCOPY plugin.wasm ./\n")
    tag = f"wasmhub-test-{uuid.uuid4().hex[:12]}:v1"
    archive = context / "image.tar"
    try:
        subprocess.run(["docker", "build", "-q", "-t", tag, str(context)], check=True, capture_output=True)
        subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, capture_output=True)
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
    return archive


def test_docker_save_archive_is_a_compat_package(saved_image, root_filter, tmp_path):
    module = load_module(str(saved_image), tmp_path)

    assert module.kind == "oci-archive"
    assert module.data == root_filter.data
    assert module.package["variant"] == "compat"
    package = module.package["contents"]
    assert package.kind == "docker-archive" and package.manifest_synthesized
    assert module.package["manifest_digest"] is None  # known only once docker push has built the manifest
    statuses = {o.check.case_id: o.status for o in run_checks(package)}
    assert statuses["SPEC-DIGEST-002"] == "n/a"
    assert [case for case, status in statuses.items() if status == "fail"] == []
    assert package.content_claims, "the config's rootfs.diff_ids were not checked against the layers"


def test_docker_save_archive_with_a_damaged_layer(saved_image, tmp_path):
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(saved_image) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name.endswith("layer.tar"):
                data = data.replace(b"root id not registered", b"root id NOT registered")
            target.addfile(member, io.BytesIO(data) if data is not None else None)

    failures = {o.check.case_id: o.messages for o in run_checks(read_archive(damaged)) if o.status == "fail"}

    assert list(failures) == ["SPEC-DIGEST-001"], failures
    assert failures["SPEC-DIGEST-001"][0].startswith("config.rootfs.diff_ids[0]")
