"""Build a package from a module, the way authors publish each variant.

* ``oci``: what ``wasme push`` writes: the runtime config as the manifest config *and* as layer 0
  (title ``runtime-config.json``), the raw module as layer 1 (title ``filter.wasm``), and the
  ``module.wasm.runtime/*`` manifest annotations.
* ``compat``: what ``docker build`` of ``FROM scratch`` + ``COPY plugin.wasm`` gives, as an OCI image:
  one tar+gzip layer with ``plugin.wasm`` (and ``runtime-config.json``), annotated
  ``module.wasm.image/variant=compat``.
* ``cncf``: the CNCF TAG-Runtime Wasm artifact: one ``application/wasm`` layer and a
  ``application/vnd.wasm.config.v0+json`` config. It has no place for root ids.

The ABI version always comes from the module's own ``proxy_abi_version_*`` export. Output is
deterministic (no timestamps), so the same module and options give the same digests.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Sequence

from ..module import WasmModule
from . import media_types as mt
from .model import Package, PackageError, canonical_json, descriptor_for, sha256_digest
from .runtime_config import abi_name, runtime_config_bytes
from .variants import CNCF, COMPAT, OCI, VARIANTS


def build_package(module: WasmModule, variant: str, root_ids: Sequence[str] = ()) -> Package:
    """A package of ``module`` in ``variant``; raises :class:`PackageError` for unusable input."""
    if variant not in VARIANTS:
        raise PackageError(f"variant {variant!r} is not one of {', '.join(VARIANTS)}")
    root_ids = list(dict.fromkeys(root_ids))
    if any(not r.strip() for r in root_ids):
        raise PackageError("a root id is empty")
    if variant == CNCF:
        if root_ids:
            raise PackageError("the cncf variant has no place for root ids; package it without --root-id")
        return _cncf(module)
    if not root_ids:
        raise PackageError(
            f"the {variant} variant records the module's root ids: give at least one --root-id"
        )
    if module.abi_version is None:
        raise PackageError(
            f"{module.source}: exports no proxy_abi_version_* function, so no ABI version to declare"
        )
    config = runtime_config_bytes([abi_name(module.abi_version)], root_ids)
    return _oci(module, config) if variant == OCI else _compat(module, config)


def _oci(module: WasmModule, config: bytes) -> Package:
    config_descriptor = descriptor_for(mt.WASME_CONFIG, config)
    layers = [
        descriptor_for(mt.WASME_CONFIG, config, {mt.TITLE: mt.RUNTIME_CONFIG_FILE}),
        descriptor_for(mt.WASME_CONTENT, module.data, {mt.TITLE: mt.WASME_MODULE_TITLE}),
    ]
    annotations = {
        mt.RUNTIME_TYPE: mt.ENVOY_RUNTIME_TYPE,
        mt.RUNTIME_ABI_VERSION: abi_name(module.abi_version or ""),
    }
    return _assemble(module, config_descriptor, layers, annotations, {config_descriptor["digest"]: config})


def _compat(module: WasmModule, config: bytes) -> Package:
    layer_tar = _tar({mt.COMPAT_MODULE_FILE: module.data, mt.RUNTIME_CONFIG_FILE: config})
    layer = gzip.compress(layer_tar, mtime=0)
    # An image config as docker build writes one for FROM scratch; Istio resolves an index by
    # linux/amd64, so that is the platform a compat image claims.
    image_config = canonical_json(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(layer_tar)]},
        }
    )
    config_descriptor = descriptor_for(mt.OCI_IMAGE_CONFIG, image_config)
    layers = [descriptor_for(mt.OCI_LAYER_TAR_GZIP, layer)]
    blobs = {config_descriptor["digest"]: image_config, layers[0]["digest"]: layer}
    return _assemble(module, config_descriptor, layers, {mt.IMAGE_VARIANT: COMPAT}, blobs)


def _cncf(module: WasmModule) -> Package:
    layer = descriptor_for(mt.CNCF_WASM_LAYER, module.data)
    config = canonical_json({"architecture": "wasm", "os": "wasip1", "layerDigests": [layer["digest"]]})
    config_descriptor = descriptor_for(mt.CNCF_WASM_CONFIG, config)
    return _assemble(module, config_descriptor, [layer], {}, {config_descriptor["digest"]: config})


def _assemble(
    module: WasmModule,
    config: dict[str, object],
    layers: list[dict[str, object]],
    annotations: dict[str, str],
    blobs: dict[str, bytes],
) -> Package:
    manifest: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": config,
        "layers": layers,
    }
    if annotations:
        manifest["annotations"] = annotations
    for layer in layers:
        if layer["mediaType"] in (mt.WASME_CONTENT, mt.CNCF_WASM_LAYER):
            blobs[str(layer["digest"])] = module.data
    return Package(f"{module.source} (packaged)", "built", canonical_json(manifest), blobs=blobs)


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()
