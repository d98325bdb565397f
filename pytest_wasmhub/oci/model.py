"""A package as found: the manifest bytes and every blob it references, exactly as the source served them.

Nothing here trusts the source: a blob is stored under the digest the manifest *claims* for it, and
the checks (``checks.py``) compare claims with content. Readers (layout, archive, registry) build a
:class:`Package`; the packager builds one from a module.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import media_types as mt

DIGEST = re.compile(r"^(?P<algorithm>[a-z0-9]+(?:[+._-][a-z0-9]+)*):(?P<encoded>[a-zA-Z0-9=_-]+)$")
HASHES = {"sha256": 64, "sha512": 128}


class PackageError(ValueError):
    """The package cannot be read or written; the message names the source and the problem."""


class RegistryError(PackageError):
    """The registry could not be reached or refused the request (network, auth, unknown tag)."""


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def digest_of(data: bytes, algorithm: str) -> str | None:
    """``data``'s digest with ``algorithm``, or None for an algorithm OCI does not register."""
    if algorithm not in HASHES:
        return None
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def digest_problem(digest: Any) -> str | None:
    """Why ``digest`` is not a usable OCI digest, or None when it is one."""
    if not isinstance(digest, str):
        return f"is {json.dumps(digest)}, not a digest string"
    match = DIGEST.match(digest)
    if not match:
        return f"{digest!r} is not of the form algorithm:hex"
    algorithm, encoded = match["algorithm"], match["encoded"]
    if algorithm not in HASHES:
        return f"{digest!r} uses {algorithm}, not one of {', '.join(HASHES)}"
    if not re.fullmatch(f"[a-f0-9]{{{HASHES[algorithm]}}}", encoded):
        return f"{digest!r} is not {HASHES[algorithm]} lowercase hex digits"
    return None


@dataclass(frozen=True)
class DigestClaim:
    """Somewhere outside the manifest that names the manifest's digest (a tag lookup, an index entry)."""

    where: str  # "the reference", "index.json", "the registry's Docker-Content-Digest header"
    digest: str
    size: int | None = None


@dataclass
class Package:
    """One image manifest and the blobs it references."""

    source: str  # what the user named
    kind: str  # oci-layout | oci-archive | oci-registry | docker-archive | built
    manifest_bytes: bytes = field(repr=False)
    blobs: dict[str, bytes] = field(default_factory=dict, repr=False)  # by claimed digest
    missing_blobs: dict[str, str] = field(default_factory=dict)  # claimed digest -> why it is absent
    manifest_claims: list[DigestClaim] = field(default_factory=list)
    # A ``docker save`` archive has no registry manifest: we rebuild one to inspect it, so its digest
    # is not the one ``docker push`` will produce.
    manifest_synthesized: bool = False
    # Extra content claims to verify, e.g. a docker archive's rootfs.diff_ids: (where, digest, bytes)
    content_claims: list[tuple[str, str, bytes]] = field(default_factory=list, repr=False)

    @cached_property
    def manifest(self) -> dict[str, Any]:
        try:
            value = json.loads(self.manifest_bytes)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PackageError(f"{self.source}: the manifest is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise PackageError(f"{self.source}: the manifest is a JSON {type(value).__name__}, not an object")
        return value

    @property
    def manifest_digest(self) -> str:
        return sha256_digest(self.manifest_bytes)

    @property
    def media_type(self) -> str | None:
        value = self.manifest.get("mediaType")
        return value if isinstance(value, str) else None

    @property
    def config_descriptor(self) -> dict[str, Any] | None:
        config = self.manifest.get("config")
        return config if isinstance(config, dict) else None

    @property
    def layers(self) -> list[dict[str, Any]]:
        layers = self.manifest.get("layers")
        if not isinstance(layers, list):
            return []
        return [layer if isinstance(layer, dict) else {} for layer in layers]

    @property
    def annotations(self) -> dict[str, Any]:
        value = self.manifest.get("annotations")
        return value if isinstance(value, dict) else {}

    def descriptors(self) -> list[tuple[str, dict[str, Any]]]:
        """Every blob descriptor with a name for messages: ``config``, ``layers[0]``, ..."""
        named: list[tuple[str, dict[str, Any]]] = []
        if self.config_descriptor is not None:
            named.append(("config", self.config_descriptor))
        named.extend((f"layers[{i}]", layer) for i, layer in enumerate(self.layers))
        return named

    def blob(self, descriptor: dict[str, Any]) -> bytes | None:
        """The bytes stored for a descriptor's digest; None when the source did not have them."""
        digest = descriptor.get("digest")
        return self.blobs.get(digest) if isinstance(digest, str) else None

    def summary(self) -> dict[str, Any]:
        """JSON-friendly facts about the package, for reports."""
        config = self.config_descriptor or {}
        return {
            "kind": self.kind,
            "reference": self.source,
            "manifest_digest": None if self.manifest_synthesized else self.manifest_digest,
            "manifest_media_type": self.media_type or mt.OCI_MANIFEST,
            "config_media_type": config.get("mediaType"),
            "layer_media_types": [layer.get("mediaType") for layer in self.layers],
            "manifest": self.manifest,
        }


def descriptor_for(media_type: str, data: bytes, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"mediaType": media_type, "digest": sha256_digest(data), "size": len(data)}
    if annotations:
        descriptor["annotations"] = dict(annotations)
    return descriptor


def canonical_json(value: Any) -> bytes:
    """Compact, key-sorted JSON: the same value always gives the same bytes (and digest)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
