"""Media types and annotation keys of the Wasm packaging formats in use (see docs in ``spec.md`` §1-§2)."""

from __future__ import annotations

from .. import wasm_binary

# Manifests and indexes
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEXES = (OCI_INDEX, DOCKER_MANIFEST_LIST)

# wasme "oci" variant (solo-io/wasm spec/spec.md)
WASME_CONFIG = "application/vnd.module.wasm.config.v1+json"
WASME_CONTENT = "application/vnd.module.wasm.content.layer.v1+wasm"

# "compat" variant: a standard image whose last layer is a tar+gzip holding plugin.wasm
OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LAYER_TAR_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_IMAGE_CONFIG = "application/vnd.docker.container.image.v1+json"
COMPAT_LAYER_FOR_MANIFEST = {OCI_MANIFEST: OCI_LAYER_TAR_GZIP, DOCKER_MANIFEST: DOCKER_LAYER_TAR_GZIP}

# CNCF TAG-Runtime "Wasm OCI Artifact layout" (also the Bytecode Alliance oci-wasm crate)
CNCF_WASM_CONFIG = "application/vnd.wasm.config.v0+json"
CNCF_WASM_LAYER = "application/wasm"

# wasm-to-oci / Krustlet: a single layer that Istio and Envoy Gateway refuse
WASM_TO_OCI_CONFIG = "application/vnd.wasm.config.v1+json"
WASM_TO_OCI_LAYER = "application/vnd.wasm.content.layer.v1+wasm"

# Annotations
TITLE = "org.opencontainers.image.title"
REF_NAME = "org.opencontainers.image.ref.name"
RUNTIME_TYPE = "module.wasm.runtime/type"
RUNTIME_ABI_VERSION = "module.wasm.runtime/abi_version"
IMAGE_VARIANT = "module.wasm.image/variant"

# File names the formats fix
RUNTIME_CONFIG_FILE = "runtime-config.json"  # wasme: config layer title; compat: optional file in the layer
WASME_MODULE_TITLE = "filter.wasm"
COMPAT_MODULE_FILE = "plugin.wasm"  # Istio and Envoy Gateway match it by base name

ENVOY_RUNTIME_TYPE = "envoy_proxy"

# the one module size rule (256 MiB: Istio and Envoy Gateway), kept with the binary format
MAX_MODULE_BYTES = wasm_binary.MAX_MODULE_BYTES
