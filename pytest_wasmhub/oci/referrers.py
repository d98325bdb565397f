"""Artifacts that refer to an image (OCI 1.1 ``subject``): push one, list an image's referrers, fetch them.

A registry with the referrers API answers ``GET /v2/REPO/referrers/DIGEST`` and confirms a pushed
``subject`` with the ``OCI-Subject`` header. One without it (distribution 2.x, Debian's
``docker-registry``) gets the distribution spec's fallback: an image index tagged ``sha256-HEX`` (the
subject's digest) that lists the referring manifests; pushing appends to it, listing reads it.
Everything fetched by digest is checked against that digest: a registry cannot swap the content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import media_types as mt
from .model import RegistryError, canonical_json, descriptor_for, digest_problem, sha256_digest
from .registry import ACCEPT, Reference, RegistryClient, _status

EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_BLOB = b"{}"
SUBJECT_HEADER = "OCI-Subject"


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry served it, with the digest its bytes hash to."""

    data: bytes
    media_type: str
    digest: str

    @property
    def document(self) -> dict[str, Any]:
        value = json.loads(self.data)
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        return value

    def descriptor(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}


@dataclass(frozen=True)
class PushedArtifact:
    digest: str
    referrers_api: bool  # the registry confirmed the subject (OCI-Subject header)
    fallback_tag: str | None  # the sha256-HEX tag updated for registries without the referrers API


@dataclass
class Referrers:
    descriptors: list[dict[str, Any]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # "referrers API", "tag sha256-..."


def fallback_tag(digest: str) -> str:
    """The distribution spec's tag for an image's referrers index: ``sha256:HEX`` -> ``sha256-HEX``."""
    return digest.replace(":", "-", 1)


def fetch_manifest(client: RegistryClient, reference: Reference, name: str | None = None) -> Manifest:
    """The manifest ``name`` (a tag or digest; default the reference's), its digest checked."""
    name = name or reference.name
    response = client._get(reference, f"/v2/{reference.repository}/manifests/{name}", ACCEPT)
    data = response.content
    digest = sha256_digest(data)
    if name.startswith("sha256:") and digest != name:
        raise RegistryError(f"{reference}: the registry served manifest {name} with content of {digest}")
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    try:
        declared = json.loads(data).get("mediaType")
    except (ValueError, AttributeError):
        raise RegistryError(f"{reference}: manifest {name} is not a JSON object") from None
    return Manifest(data, declared or media_type or mt.OCI_MANIFEST, digest)


def fetch_blob(client: RegistryClient, reference: Reference, digest: str) -> bytes:
    """The blob ``digest``; raises when it is missing or its bytes hash to something else."""
    problem = digest_problem(digest)
    if problem:
        raise RegistryError(f"{reference}: a blob digest {problem}")
    data, why = client._blob(reference, digest)
    if data is None:
        raise RegistryError(f"{reference}: blob {digest}: {why}")
    actual = sha256_digest(data)
    if actual != digest:
        raise RegistryError(f"{reference}: blob {digest} was served with content of {actual}")
    return data


def push_artifact(
    client: RegistryClient,
    reference: Reference,
    *,
    artifact_type: str,
    subject: dict[str, Any],
    layers: list[tuple[str, bytes, dict[str, str]]],
    annotations: dict[str, str] | None = None,
) -> PushedArtifact:
    """Push an artifact manifest (``layers``: media type, bytes, annotations) whose subject is ``subject``."""
    client._ping(reference)
    descriptors = []
    for media_type, data, layer_annotations in layers:
        client._upload_blob(reference, sha256_digest(data), data)
        descriptors.append(descriptor_for(media_type, data, layer_annotations))
    client._upload_blob(reference, sha256_digest(EMPTY_BLOB), EMPTY_BLOB)
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": descriptor_for(EMPTY_MEDIA_TYPE, EMPTY_BLOB),
        "layers": descriptors,
        "subject": dict(subject),
    }
    if annotations:
        document["annotations"] = dict(annotations)
    data = canonical_json(document)
    digest = sha256_digest(data)
    response = _put_manifest(client, reference, digest, data, mt.OCI_MANIFEST)
    if response.headers.get(SUBJECT_HEADER) == subject["digest"]:
        return PushedArtifact(digest, True, None)
    descriptor = {
        "mediaType": mt.OCI_MANIFEST,
        "digest": digest,
        "size": len(data),
        "artifactType": artifact_type,
    }
    if annotations:
        descriptor["annotations"] = dict(annotations)
    tag = _add_to_fallback_index(client, reference, subject["digest"], descriptor)
    return PushedArtifact(digest, False, tag)


def list_referrers(
    client: RegistryClient, reference: Reference, subject_digest: str, artifact_type: str | None = None
) -> Referrers:
    """The descriptors of manifests referring to ``subject_digest``: the API's and the fallback tag's."""
    client._ping(reference)
    found = Referrers()
    url = f"{client.base_url}/v2/{reference.repository}/referrers/{subject_digest}"
    response = client._request(reference, url, "GET", headers={"Accept": mt.OCI_INDEX})
    if response.status_code == 200 and _is_index(response.content):
        found.descriptors += json.loads(response.content).get("manifests") or []
        found.sources.append("referrers API")
    tag = fallback_tag(subject_digest)
    index = _fallback_index(client, reference, tag)
    if index is not None:
        known = {d.get("digest") for d in found.descriptors}
        found.descriptors += [d for d in index.get("manifests") or [] if d.get("digest") not in known]
        found.sources.append(f"tag {tag}")
    found.descriptors = [
        d
        for d in found.descriptors
        if isinstance(d, dict) and (artifact_type is None or d.get("artifactType") == artifact_type)
    ]
    return found


def _put_manifest(
    client: RegistryClient, reference: Reference, name: str, data: bytes, media_type: str
) -> Any:
    url = f"{client.base_url}/v2/{reference.repository}/manifests/{name}"
    response = client._request(reference, url, "PUT", data=data, headers={"Content-Type": media_type})
    if response.status_code not in (200, 201):
        raise RegistryError(f"{reference}: the registry refused manifest {name}: {_status(response)}")
    return response


def _fallback_index(client: RegistryClient, reference: Reference, tag: str) -> dict[str, Any] | None:
    url = f"{client.base_url}/v2/{reference.repository}/manifests/{tag}"
    response = client._request(reference, url, "GET", headers={"Accept": mt.OCI_INDEX})
    if response.status_code == 404:
        return None
    if response.status_code != 200 or not _is_index(response.content):
        raise RegistryError(
            f"{reference}: the referrers tag {tag} is not an image index: {_status(response)}"
        )
    return json.loads(response.content)


def _add_to_fallback_index(
    client: RegistryClient, reference: Reference, subject_digest: str, descriptor: dict[str, Any]
) -> str:
    # read-modify-write: two attests of one image at the same instant may lose one entry (the spec's
    # fallback has no compare-and-swap); the artifact itself stays pushed and can be re-attested
    tag = fallback_tag(subject_digest)
    index = _fallback_index(client, reference, tag) or {
        "schemaVersion": 2,
        "mediaType": mt.OCI_INDEX,
        "manifests": [],
    }
    manifests = [m for m in index.get("manifests") or [] if m.get("digest") != descriptor["digest"]]
    index["manifests"] = [*manifests, descriptor]
    _put_manifest(client, reference, tag, canonical_json(index), mt.OCI_INDEX)
    return tag


def _is_index(data: bytes) -> bool:
    try:
        value = json.loads(data)
    except ValueError:
        return False
    return isinstance(value, dict) and isinstance(value.get("manifests"), list)
