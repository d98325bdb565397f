"""Which packaging variant a manifest is, and where its module and runtime config sit.

The module is found the way Istio and Envoy Gateway find it (``pkg/wasm/imagefetcher.go``): the
``…content.layer.v1+wasm`` layer of the oci variant, ``plugin.wasm`` (by base name) in the last
tar+gzip layer of the compat variant, the first ``application/wasm`` layer of a CNCF artifact.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zlib
from dataclasses import dataclass

from . import media_types as mt
from .model import Package, PackageError

OCI = "oci"
COMPAT = "compat"
CNCF = "cncf"
WASM_TO_OCI = "wasm-to-oci"
UNKNOWN = "unknown"
VARIANTS = (OCI, COMPAT, CNCF)
# Who can load each variant (Istio's and Envoy Gateway's fetchers try compat, then oci, nothing else)
LOADERS = {OCI: ("Istio", "Envoy Gateway"), COMPAT: ("Istio", "Envoy Gateway")}

# Far above the 256 MiB module limit: a file this big in a layer is refused rather than read
MAX_EXTRACTED_BYTES = 4 * mt.MAX_MODULE_BYTES


class MissingContent(PackageError):
    """A blob the module or config lives in is absent; the digest case reports that."""


class StructureProblem(PackageError):
    """The manifest or layer is not shaped the way its variant requires."""


@dataclass(frozen=True)
class Located:
    data: bytes
    where: str  # for messages: "layers[1]", "layers[0] (plugin.wasm)"
    layer_index: int | None


def detect_variant(package: Package) -> str:
    config_type = (package.config_descriptor or {}).get("mediaType")
    layer_types = [layer.get("mediaType") for layer in package.layers]
    types = {config_type, *layer_types}
    if types & {mt.WASME_CONFIG, mt.WASME_CONTENT}:
        return OCI
    if types & {mt.CNCF_WASM_CONFIG, mt.CNCF_WASM_LAYER}:
        return CNCF
    if types & {mt.WASM_TO_OCI_CONFIG, mt.WASM_TO_OCI_LAYER}:
        return WASM_TO_OCI
    last = layer_types[-1] if layer_types else None
    if last in (mt.OCI_LAYER_TAR_GZIP, mt.DOCKER_LAYER_TAR_GZIP) or package.media_type == mt.DOCKER_MANIFEST:
        return COMPAT
    if package.annotations.get(mt.IMAGE_VARIANT) == COMPAT:
        return COMPAT
    return UNKNOWN


def find_module(package: Package, variant: str | None = None) -> Located:
    """The module bytes, as Istio/Envoy Gateway would pick them; raises when there are none."""
    variant = variant or detect_variant(package)
    if variant == COMPAT:
        return _compat_file(package, mt.COMPAT_MODULE_FILE, required=True)  # type: ignore[return-value]
    wanted = {OCI: mt.WASME_CONTENT, CNCF: mt.CNCF_WASM_LAYER, WASM_TO_OCI: mt.WASM_TO_OCI_LAYER}.get(variant)
    if wanted is None:
        raise StructureProblem(
            f"manifest: no layer in a known Wasm format (layer media types: {_layer_types(package)})"
        )
    for index, layer in enumerate(package.layers):
        if layer.get("mediaType") == wanted:
            return Located(_blob(package, index), f"layers[{index}]", index)
    raise StructureProblem(
        f"manifest.layers: no layer of media type {wanted} (found {_layer_types(package)})"
    )


def find_runtime_config(package: Package, variant: str | None = None) -> Located | None:
    """The ``runtime-config.json`` bytes, or None when the variant carries none."""
    variant = variant or detect_variant(package)
    if variant == OCI:
        for index, layer in enumerate(package.layers):
            if layer.get("mediaType") == mt.WASME_CONFIG:
                return Located(_blob(package, index), f"layers[{index}]", index)
        config = package.config_descriptor
        if config is not None and config.get("mediaType") == mt.WASME_CONFIG:
            data = package.blob(config)
            if data is None:
                raise MissingContent(f"config: blob {config.get('digest')} is missing")
            return Located(data, "config", None)
        return None
    if variant == COMPAT:
        return _compat_file(package, mt.RUNTIME_CONFIG_FILE, required=False)
    return None


def _compat_file(package: Package, name: str, *, required: bool) -> Located | None:
    if not package.layers:
        raise StructureProblem("manifest.layers: the compat variant needs a tar+gzip layer; there is none")
    index = len(package.layers) - 1
    files = read_tar_gzip(_blob(package, index), f"layers[{index}]", wanted=(name,))
    if name in files:
        return Located(files[name], f"layers[{index}] ({name})", index)
    if required:
        raise StructureProblem(f"layers[{index}]: the last layer holds no {name}")
    return None


def read_tar_gzip(blob: bytes, where: str, wanted: tuple[str, ...]) -> dict[str, bytes]:
    """The first regular file with each wanted base name in a gzip-compressed tar."""
    found: dict[str, bytes] = {}
    try:
        with (
            gzip.GzipFile(fileobj=io.BytesIO(blob)) as stream,
            tarfile.open(fileobj=stream, mode="r|") as tar,
        ):
            for member in tar:
                base = posixpath.basename(member.name.rstrip("/"))
                if base not in wanted or base in found or not member.isfile():
                    continue
                if member.size > MAX_EXTRACTED_BYTES:
                    raise StructureProblem(
                        f"{where}: {member.name} is {member.size} bytes, too large to read"
                    )
                handle = tar.extractfile(member)
                found[base] = handle.read() if handle else b""
    except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
        raise StructureProblem(f"{where}: is not a tar+gzip archive ({exc})") from None
    return found


def _blob(package: Package, index: int) -> bytes:
    layer = package.layers[index]
    data = package.blob(layer)
    if data is None:
        raise MissingContent(f"layers[{index}]: blob {layer.get('digest')} is missing")
    return data


def _layer_types(package: Package) -> str:
    return ", ".join(str(layer.get("mediaType")) for layer in package.layers) or "no layers"
