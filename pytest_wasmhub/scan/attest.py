"""A module's verdict that travels with the module: its report attached to the image in the registry.

``attest`` pushes a report as an OCI artifact whose ``subject`` is the module's manifest (see
``oci/referrers.py`` for registries without the referrers API); it refuses a report about other
bytes. ``verify`` finds the attached reports, checks each names this manifest and this module's
sha256, and says whether the verdict holds on the asked Envoy releases. Every refusal is one line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..envoy.versions import version_key
from ..oci.media_types import OCI_MANIFEST
from ..oci.model import PackageError, sha256_digest
from ..oci.referrers import Manifest, fetch_blob, fetch_manifest, list_referrers, push_artifact
from ..oci.registry import Reference, RegistryClient, parse_reference
from ..oci.variants import find_module
from .records import MET, facts_of

ARTIFACT_TYPE = "application/vnd.wasmhub.conformance-report.v1+json"
REPORT_MEDIA_TYPE = "application/vnd.wasmhub.conformance-report.v1+json"
CREATED = "org.opencontainers.image.created"
TITLE = "org.opencontainers.image.title"
MODULE_SHA256 = "io.wasmhub.module.sha256"
ENVOY_VERSIONS = "io.wasmhub.envoy.versions"
VERDICT = "io.wasmhub.verdict"
LEVELS = ("must", "should")


class AttestationError(ValueError):
    """Refused: the report does not belong to this image, or was changed. One line."""


@dataclass(frozen=True)
class Image:
    reference: Reference
    manifest: Manifest
    module_sha256: str


def read_image(client: RegistryClient, reference: Reference) -> Image:
    """The manifest that holds the module (an index is resolved to its one image) and the module's sha256."""
    package = client.pull(reference)
    manifest = Manifest(package.manifest_bytes, package.media_type or OCI_MANIFEST, package.manifest_digest)
    located = find_module(package)
    return Image(reference, manifest, sha256_digest(located.data).split(":", 1)[1])


def attest(reference_text: str, report_path: Path, *, insecure: bool | None = None) -> tuple[Image, Any]:
    reference = parse_reference(reference_text)
    client = RegistryClient(reference.host, insecure=insecure)
    image = read_image(client, reference)
    data = Path(report_path).read_bytes()
    report = _load_report(data, str(report_path))
    _check_belongs(report, image, f"{report_path}")
    facts = facts_of(report)
    assert facts is not None
    annotations = {
        CREATED: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        MODULE_SHA256: image.module_sha256,
        ENVOY_VERSIONS: ",".join(facts.envoy_versions),
        VERDICT: facts.status,
    }
    pushed = push_artifact(
        client,
        reference,
        artifact_type=ARTIFACT_TYPE,
        subject=image.manifest.descriptor(),
        layers=[(REPORT_MEDIA_TYPE, data, {TITLE: "report.json"})],
        annotations=annotations,
    )
    return image, pushed


@dataclass
class Verification:
    image: Image
    holds: bool = False
    lines: list[str] = field(default_factory=list)


def verify(
    reference_text: str,
    envoy: list[str] | None = None,
    min_level: str = "must",
    *,
    insecure: bool | None = None,
) -> Verification:
    """Whether an attached report shows the verdict holds on every asked release; raises when refused."""
    if min_level not in LEVELS:
        raise ValueError(f"--min-level {min_level!r}: valid values: {', '.join(LEVELS)}")
    reference = parse_reference(reference_text)
    client = RegistryClient(reference.host, insecure=insecure)
    image = read_image(client, reference)
    found = list_referrers(client, reference, image.manifest.digest, ARTIFACT_TYPE)
    if not found.descriptors:
        raise AttestationError(
            f"{reference}: no conformance report is attached to manifest {image.manifest.digest}"
        )
    reports = [_attached_report(client, reference, image, d) for d in found.descriptors]
    reports.sort(key=lambda r: r[0])  # oldest first: a newer report for a release replaces an older one
    latest: dict[str, tuple[str, dict[str, Any]]] = {}
    for _created, digest, report in reports:
        for version in (facts_of(report) or _no_facts()).envoy_versions:
            latest[version] = (digest, report)
    asked = envoy or sorted(latest, key=version_key)
    result = Verification(image, holds=True)
    for wanted in asked:
        matching = [v for v in latest if v == wanted or v.startswith(wanted.rstrip(".") + ".")]
        if not matching:
            result.holds = False
            result.lines.append(f"Envoy {wanted}: no attached report covers it")
            continue
        for version in sorted(matching, key=version_key):
            digest, report = latest[version]
            ok, why = verdict_holds(report, version, min_level)
            result.holds &= ok
            result.lines.append(f"Envoy {version}: {'holds' if ok else 'does not hold'} ({why}; {digest})")
    return result


def verdict_holds(report: dict[str, Any], version: str, min_level: str) -> tuple[bool, str]:
    """Every case of ``min_level`` (must: MUST cases; should: MUST and SHOULD) met on ``version``."""
    facts = facts_of(report) or _no_facts()
    single = len(facts.envoy_versions) == 1
    cases = [
        r
        for r in report.get("results") or []
        if isinstance(r, dict)
        and isinstance(r.get("case"), dict)
        and (single or r.get("envoy_version") in (version, None))
    ]
    if not any(r.get("outcome") == "pass" for r in cases):
        return False, "no conformance case passed"
    levels = ("MUST",) if min_level == "must" else ("MUST", "SHOULD")
    unmet = sorted(
        {
            r["case"].get("id", "?")
            for r in cases
            if r["case"].get("level") in levels and r.get("outcome") not in MET
        }
    )
    if unmet:
        return False, f"{facts.status}; not met: {', '.join(unmet)}"
    return True, f"{facts.status}; every {' and '.join(levels)} case met"


def _attached_report(
    client: RegistryClient, reference: Reference, image: Image, descriptor: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    digest = str(descriptor.get("digest"))
    try:
        artifact = fetch_manifest(client, reference, digest)
        document = artifact.document
    except (PackageError, ValueError) as exc:
        raise AttestationError(f"refused: attached report {digest}: {exc}") from None
    subject = (document.get("subject") or {}).get("digest")
    if subject != image.manifest.digest:
        raise AttestationError(
            f"refused: attached report {digest} names manifest {subject}, not {image.manifest.digest}"
        )
    layers = [layer for layer in document.get("layers") or [] if layer.get("mediaType") == REPORT_MEDIA_TYPE]
    if len(layers) != 1:
        raise AttestationError(f"refused: attached artifact {digest} holds {len(layers)} reports, not one")
    try:
        data = fetch_blob(client, reference, str(layers[0].get("digest")))
    except PackageError as exc:
        raise AttestationError(f"refused: attached report {digest}: {exc}") from None
    report = _load_report(data, f"attached report {digest}")
    _check_belongs(report, image, f"attached report {digest}")
    created = str((document.get("annotations") or {}).get(CREATED, ""))
    return created, digest, report


def _load_report(data: bytes, where: str) -> dict[str, Any]:
    try:
        report = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AttestationError(f"refused: {where} is not JSON: {exc}") from None
    if not isinstance(report, dict) or facts_of(report) is None:
        raise AttestationError(f"refused: {where} is not a pytest-wasmhub report (no verdict)")
    return report


def _check_belongs(report: dict[str, Any], image: Image, where: str) -> None:
    module = report.get("module") if isinstance(report.get("module"), dict) else {}
    sha256 = module.get("sha256")
    if sha256 != image.module_sha256:
        raise AttestationError(
            f"refused: {where} is for module sha256 {sha256}, but {image.reference}'s module is "
            f"sha256 {image.module_sha256}"
        )
    manifest_digest = module.get("manifest_digest")
    if manifest_digest not in (None, image.manifest.digest):
        raise AttestationError(
            f"refused: {where} was made from manifest {manifest_digest}, not {image.manifest.digest}"
        )


def _no_facts() -> Any:
    from .records import ReportFacts

    return ReportFacts("not_conformant", None, None, None, (), (), ())
