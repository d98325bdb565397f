"""OCI image layouts on disk, the same in a tar archive, and ``docker save`` archives.

An OCI image layout (image-spec ``image-layout.md``) is ``oci-layout``, ``index.json`` and
``blobs/<algorithm>/<hex>``. Docker before 25 saves ``manifest.json`` + ``<id>.json`` + ``<id>/layer.tar``
instead; such an archive has no registry manifest, so we rebuild the one ``docker push`` would send
(layers gzip-compressed) and mark it synthesized: its digest is only known after the push.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import media_types as mt
from .model import DigestClaim, Package, PackageError, canonical_json, descriptor_for, digest_problem

LAYOUT_FILE = "oci-layout"
INDEX_FILE = "index.json"
DOCKER_MANIFEST_FILE = "manifest.json"
LAYOUT_VERSION = "1.0.0"

Reader = Callable[[str], "bytes | None"]


def is_layout_dir(path: Path) -> bool:
    return path.is_dir() and (path / LAYOUT_FILE).is_file()


def is_archive(path: Path) -> bool:
    return path.is_file() and path.suffix == ".tar"


def read_layout(path: Path, ref: str | None = None, *, source: str | None = None) -> Package:
    """The image in an OCI layout directory (the only one, or the one tagged ``ref``)."""
    root = Path(path)

    def read(name: str) -> bytes | None:
        file = root / name
        try:
            return file.read_bytes() if file.is_file() else None
        except OSError as exc:
            raise PackageError(f"{source or path}: cannot read {name}: {exc.strerror}") from None

    return _read_oci(read, source or str(path), "oci-layout", ref)


def read_archive(path: Path, ref: str | None = None, *, source: str | None = None) -> Package:
    """The image in a tar archive: an OCI layout, or a ``docker save`` archive."""
    name = source or str(path)
    try:
        with tarfile.open(path, mode="r:*") as tar:
            return _read_tar(tar, name, ref)
    except tarfile.ReadError:
        raise PackageError(
            f"{name}: not a tar archive (neither plain nor gzip, bz2 or xz compressed); "
            "give an OCI layout or docker save archive"
        ) from None
    except (EOFError, tarfile.TarError):
        raise PackageError(f"{name}: a truncated or damaged tar archive") from None
    except OSError as exc:
        raise PackageError(f"{name}: cannot read the archive: {exc.strerror or exc}") from None


def _read_tar(tar: tarfile.TarFile, name: str, ref: str | None) -> Package:
    members = {_normalize(m.name): m for m in tar.getmembers() if m.isfile()}

    def read(member_name: str) -> bytes | None:
        member = members.get(member_name)
        handle = tar.extractfile(member) if member is not None else None
        return handle.read() if handle else None

    if LAYOUT_FILE in members and INDEX_FILE in members:
        return _read_oci(read, name, "oci-archive", ref)
    if DOCKER_MANIFEST_FILE in members:
        return _read_docker_save(read, name, ref)
    raise PackageError(f"{name}: a tar archive, but neither an OCI image layout nor a docker save archive")


def write_layout(package: Package, directory: Path, tag: str = "latest") -> Path:
    """Write ``package`` as an OCI image layout; ``directory`` must be absent or empty."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise PackageError(f"{directory}: exists and is not an empty directory")
    for name, data in _layout_files(package, tag):
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return directory


def write_archive(package: Package, path: Path, tag: str = "latest") -> Path:
    """Write ``package`` as a tar archive of an OCI image layout (what ``skopeo``'s ``oci-archive:`` reads)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in _layout_files(package, tag):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return path


def _layout_files(package: Package, tag: str) -> list[tuple[str, bytes]]:
    absent = [d for _, d in _descriptor_digests(package) if d not in package.blobs]
    if absent:
        raise PackageError(f"{package.source}: cannot write a layout without blobs {', '.join(absent)}")
    manifest_descriptor = {
        "mediaType": package.media_type or mt.OCI_MANIFEST,
        "digest": package.manifest_digest,
        "size": len(package.manifest_bytes),
        "annotations": {mt.REF_NAME: tag},
    }
    index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": [manifest_descriptor]}
    files = [
        (LAYOUT_FILE, canonical_json({"imageLayoutVersion": LAYOUT_VERSION})),
        (INDEX_FILE, canonical_json(index)),
        (_blob_path(package.manifest_digest), package.manifest_bytes),
    ]
    files += [(_blob_path(digest), data) for digest, data in sorted(package.blobs.items())]
    return files


def _descriptor_digests(package: Package) -> list[tuple[str, str]]:
    return [(n, d["digest"]) for n, d in package.descriptors() if isinstance(d.get("digest"), str)]


def _read_oci(read: Reader, source: str, kind: str, ref: str | None) -> Package:
    layout = _json(read(LAYOUT_FILE), f"{source}: {LAYOUT_FILE}")
    if not isinstance(layout, dict) or not isinstance(layout.get("imageLayoutVersion"), str):
        raise PackageError(f"{source}: {LAYOUT_FILE} has no imageLayoutVersion")
    index = _json(read(INDEX_FILE), f"{source}: {INDEX_FILE}")
    descriptor = _select(index, ref, f"{source}: {INDEX_FILE}")
    where = INDEX_FILE
    manifest_bytes = _read_blob(read, descriptor, f"{source}: {INDEX_FILE}")
    # A nested index (e.g. one per platform) with a single image: follow it
    if descriptor.get("mediaType") in mt.INDEXES:
        where = f"the nested index {descriptor['digest']}"
        descriptor = _select(_json(manifest_bytes, f"{source}: {where}"), None, f"{source}: {where}")
        manifest_bytes = _read_blob(read, descriptor, f"{source}: {where}")
    package = Package(source, kind, manifest_bytes)
    package.manifest_claims.append(DigestClaim(where, descriptor["digest"], descriptor.get("size")))
    for _, blob_digest in _descriptor_digests(package):
        problem = digest_problem(blob_digest)
        data = None if problem else read(_blob_path(blob_digest))
        if data is None:
            package.missing_blobs[blob_digest] = problem or f"blobs/{blob_digest.replace(':', '/')} is absent"
        else:
            package.blobs[blob_digest] = data
    return package


def _select(index: Any, ref: str | None, what: str) -> dict[str, Any]:
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list) or not manifests:
        raise PackageError(f"{what}: lists no manifests")
    entries = [m for m in manifests if isinstance(m, dict)]
    if ref is not None:
        entries = [m for m in entries if (m.get("annotations") or {}).get(mt.REF_NAME) == ref]
        if not entries:
            raise PackageError(f"{what}: no manifest is tagged {ref!r} (tags: {_ref_names(manifests)})")
    if len(entries) != 1:
        raise PackageError(
            f"{what}: holds {len(entries)} manifests; name one as PATH:TAG ({_ref_names(manifests)})"
        )
    entry = entries[0]
    problem = digest_problem(entry.get("digest"))
    if problem:
        raise PackageError(f"{what}: manifests[].digest {problem}")
    return entry


def _ref_names(manifests: list[Any]) -> str:
    names = [str((m.get("annotations") or {}).get(mt.REF_NAME)) for m in manifests if isinstance(m, dict)]
    return ", ".join(n for n in names if n != "None") or "none tagged"


def _read_blob(read: Reader, descriptor: dict[str, Any], what: str) -> bytes:
    data = read(_blob_path(descriptor["digest"]))
    if data is None:
        raise PackageError(f"{what}: names {descriptor['digest']}, but its blob is absent")
    return data


def _read_docker_save(read: Reader, source: str, ref: str | None) -> Package:
    entries = _json(read(DOCKER_MANIFEST_FILE), f"{source}: {DOCKER_MANIFEST_FILE}")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise PackageError(f"{source}: {DOCKER_MANIFEST_FILE} lists no images")
    if ref is not None:
        entries = [
            e for e in entries if any(str(t).endswith(f":{ref}") or t == ref for t in e.get("RepoTags") or [])
        ]
    if len(entries) != 1:
        raise PackageError(
            f"{source}: {DOCKER_MANIFEST_FILE} holds {len(entries)} matching images; name one as PATH:TAG"
        )
    entry = entries[0]
    config_name, layer_names = entry.get("Config"), entry.get("Layers")
    if not isinstance(config_name, str) or not isinstance(layer_names, list):
        raise PackageError(f"{source}: {DOCKER_MANIFEST_FILE} entry needs Config and Layers")
    config = read(_normalize(config_name))
    if config is None:
        raise PackageError(f"{source}: the image config {config_name} is absent")
    # Docker names the config file after its digest (the image id): that is the claim to verify
    stem = Path(config_name).name.removesuffix(".json")
    config_digest = (
        f"sha256:{stem}" if re.fullmatch(r"[a-f0-9]{64}", stem) else descriptor_for("", config)["digest"]
    )
    package_blobs = {config_digest: config}
    layers, claims = [], []
    diff_ids = _diff_ids(config)
    for index, layer_name in enumerate(layer_names):
        tar_bytes = read(_normalize(str(layer_name)))
        if tar_bytes is None:
            raise PackageError(f"{source}: layer {layer_name} is absent")
        compressed = gzip.compress(tar_bytes, mtime=0)
        descriptor = descriptor_for(mt.DOCKER_LAYER_TAR_GZIP, compressed)
        layers.append(descriptor)
        package_blobs[descriptor["digest"]] = compressed
        if index < len(diff_ids):
            claims.append((f"config.rootfs.diff_ids[{index}] ({layer_name})", diff_ids[index], tar_bytes))
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.DOCKER_MANIFEST,
        "config": {"mediaType": mt.DOCKER_IMAGE_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": layers,
    }
    return Package(
        source,
        "docker-archive",
        canonical_json(manifest),
        blobs=package_blobs,
        manifest_synthesized=True,
        content_claims=claims,
    )


def _diff_ids(config: bytes) -> list[str]:
    try:
        value = json.loads(config)
        ids = value["rootfs"]["diff_ids"]
    except (ValueError, KeyError, TypeError):
        return []
    return [str(i) for i in ids] if isinstance(ids, list) else []


def _json(data: bytes | None, what: str) -> Any:
    if data is None:
        raise PackageError(f"{what} is absent")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{what} is not JSON ({exc})") from None


def _blob_path(digest: str) -> str:
    algorithm, _, encoded = digest.partition(":")
    return f"blobs/{algorithm}/{encoded}"


def _normalize(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/")
