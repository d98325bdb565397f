"""``wasmhub attest`` and ``wasmhub verify`` on a real registry (Debian's docker-registry, no referrers API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scan_test_support import Scan, registry_support, wasmhub

from pytest_wasmhub.module import load_module
from pytest_wasmhub.oci import RegistryClient, build_package, parse_reference
from pytest_wasmhub.oci.referrers import list_referrers, push_artifact
from pytest_wasmhub.scan.attest import ARTIFACT_TYPE, REPORT_MEDIA_TYPE, read_image


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Any]:
    """A registry of this test's own: the tampering test damages blobs behind its back."""
    with registry_support.running_registry(tmp_path) as running:
        yield running


def _reports(full_scan: Scan, name: str) -> dict[str, Path]:
    """The scan's report files for one entry, by Envoy release."""
    found = {}
    for path, record in full_scan.records().items():
        if record["entry"]["name"] == name:
            found[record["envoy_version"]] = full_scan.out / Path(path).parent / record["report"]
    return found


def _push(registry: Any, tmp_path: Path, module: str, repository: str, root_id: str) -> str:
    loaded = load_module(module, tmp_path / "modules")
    reference = f"oci://{registry.host}/{repository}:v1"
    RegistryClient(registry.host).push(build_package(loaded, "compat", [root_id]), parse_reference(reference))
    return reference


def test_attest_then_verify_round_trips(full_scan: Scan, registry: Any, tmp_path: Path) -> None:
    reports = _reports(full_scan, "add_header")
    verdict = json.loads(reports["1.40.0"].read_text())["verdict"]["status"]
    assert verdict != "not_conformant"  # the example filter: otherwise this test proves nothing
    reference = _push(
        registry,
        tmp_path,
        json.loads(reports["1.40.0"].read_text())["module"]["source"],
        "filters/add-header",
        "add_header",
    )
    attested = wasmhub(
        "attest", reference, "--report", str(reports["1.40.0"]), "--report", str(reports["1.36.2"])
    )
    assert attested.returncode == 0, attested.stderr
    assert attested.stdout.count("(tag sha256-") == 2  # the fallback: this registry has no referrers API

    client = RegistryClient(registry.host)
    image = read_image(client, parse_reference(reference))
    found = list_referrers(client, parse_reference(reference), image.manifest.digest, ARTIFACT_TYPE)
    assert len(found.descriptors) == 2 and found.sources == [f"tag sha256-{image.manifest.digest[7:]}"]

    verified = wasmhub("verify", reference, "--envoy", "1.40")
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert "Envoy 1.40.0: holds" in verified.stdout
    assert wasmhub("verify", reference).returncode == 0  # every release a report covers
    absent = wasmhub("verify", reference, "--envoy", "1.39")
    assert absent.returncode == 1 and "Envoy 1.39: no attached report covers it" in absent.stdout


def test_verify_fails_when_the_attached_verdict_does_not_hold(
    full_scan: Scan, registry: Any, tmp_path: Path
) -> None:
    reports = _reports(full_scan, "trap_on_request")
    report = json.loads(reports["1.40.0"].read_text())
    assert report["verdict"]["status"] == "not_conformant"  # a probe that traps on every request
    reference = _push(registry, tmp_path, report["module"]["source"], "filters/trap", "any")
    assert wasmhub("attest", reference, "--report", str(reports["1.40.0"])).returncode == 0
    verified = wasmhub("verify", reference, "--envoy", "1.40.0")
    assert verified.returncode == 1
    assert "Envoy 1.40.0: does not hold (not_conformant; not met: " in verified.stdout


def test_attest_refuses_a_report_about_another_module(full_scan: Scan, registry: Any, tmp_path: Path) -> None:
    ours = json.loads(_reports(full_scan, "add_header")["1.40.0"].read_text())
    reference = _push(registry, tmp_path, ours["module"]["source"], "filters/refuse", "add_header")
    other = _reports(full_scan, "trap_on_request")["1.40.0"]
    result = wasmhub("attest", reference, "--report", str(other))
    assert result.returncode == 1
    assert result.stderr.startswith("wasmhub attest: refused: ") and result.stderr.count("\n") == 1
    assert f"is for module sha256 {json.loads(other.read_text())['module']['sha256']}" in result.stderr
    assert wasmhub("verify", reference).returncode == 1  # nothing was attached


def test_verify_refuses_a_report_attached_for_another_digest(
    full_scan: Scan, registry: Any, tmp_path: Path
) -> None:
    ours = json.loads(_reports(full_scan, "add_header")["1.40.0"].read_text())
    reference = _push(registry, tmp_path, ours["module"]["source"], "filters/forged", "add_header")
    # someone attaches a passing report of another module straight through the API, not via attest
    other = _reports(full_scan, "slow_headers")["1.40.0"]
    client = RegistryClient(registry.host)
    image = read_image(client, parse_reference(reference))
    push_artifact(
        client,
        parse_reference(reference),
        artifact_type=ARTIFACT_TYPE,
        subject=image.manifest.descriptor(),
        layers=[(REPORT_MEDIA_TYPE, other.read_bytes(), {})],
    )
    result = wasmhub("verify", reference)
    assert result.returncode == 1
    assert result.stderr.startswith("wasmhub verify: refused: ") and result.stderr.count("\n") == 1
    assert f"is for module sha256 {json.loads(other.read_text())['module']['sha256']}" in result.stderr


def test_verify_refuses_a_report_changed_in_the_registry(
    full_scan: Scan, registry: Any, tmp_path: Path
) -> None:
    report_path = _reports(full_scan, "trap_on_request")["1.40.0"]
    report = json.loads(report_path.read_text())
    reference = _push(registry, tmp_path, report["module"]["source"], "filters/tampered", "any")
    assert wasmhub("attest", reference, "--report", str(report_path)).returncode == 0
    client = RegistryClient(registry.host)
    image = read_image(client, parse_reference(reference))
    (descriptor,) = list_referrers(client, parse_reference(reference), image.manifest.digest).descriptors
    artifact = json.loads(registry.blob_file(descriptor["digest"]).read_bytes())
    layer = artifact["layers"][0]["digest"]
    # flip the verdict in storage, behind the registry's back
    report["verdict"]["status"] = "conformant"
    registry.blob_file(layer).write_text(json.dumps(report))
    result = wasmhub("verify", reference)
    assert result.returncode == 1
    assert result.stderr.startswith("wasmhub verify: refused: ") and result.stderr.count("\n") == 1
    assert f"blob {layer} was served with content of sha256:" in result.stderr
