"""The package checks, one function per spec case id, shared by ``conformance/spec/`` and ``wasmhub package``.

Each check returns the problems it found (one line each, naming the field) or raises
:class:`NotApplicable` when the package gives it nothing to judge. A problem belongs to exactly one
case: a check whose input is broken in a way another case reports stands aside (N/A) rather than
failing twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..module import ABI_MARKER_PREFIX, ModuleError, validate_wasm
from ..wasm_binary import WasmFormatError, parse
from . import media_types as mt
from .model import Package, PackageError, digest_of, digest_problem
from .runtime_config import LEGACY_ABI_NAME, ParsedRuntimeConfig, abi_version_of, parse_runtime_config
from .schema import validate
from .variants import (
    CNCF,
    COMPAT,
    LOADERS,
    OCI,
    UNKNOWN,
    WASM_TO_OCI,
    Located,
    MissingContent,
    StructureProblem,
    detect_variant,
    find_module,
    find_runtime_config,
)

MUST, SHOULD = "MUST", "SHOULD"
WASME_SPEC = "https://github.com/solo-io/wasm/blob/master/spec/spec.md and spec-compat.md"
FETCHERS = "https://github.com/istio/istio/blob/master/pkg/wasm/imagefetcher.go, https://github.com/envoyproxy/gateway/blob/main/internal/wasm/imagefetcher.go"


class NotApplicable(Exception):
    """The check has nothing to judge in this package; the message says why."""


@dataclass(frozen=True)
class Check:
    case_id: str
    level: str
    title: str
    spec: str
    reference: str

    def case_metadata(self) -> dict[str, str]:
        """Keyword arguments for ``pytest_wasmhub.cases.case``."""
        return {"level": self.level, "title": self.title, "spec": self.spec, "reference": self.reference}


CHECKS: dict[str, Check] = {
    c.case_id: c
    for c in (
        Check(
            "SPEC-DIGEST-001",
            MUST,
            "Every descriptor's size and digest match its blob",
            "A descriptor's digest is the digest of the blob's bytes and its size their length; every blob "
            "the manifest references is present.",
            "https://github.com/opencontainers/image-spec/blob/main/descriptor.md",
        ),
        Check(
            "SPEC-DIGEST-002",
            MUST,
            "The manifest digest agrees with every place that names it",
            "The manifest digest (what Istio's and Envoy Gateway's OCI sha256 means) is the sha256 of the "
            "manifest bytes: the @digest of the reference, the registry's Docker-Content-Digest and the "
            "layout's index.json all name it. It is recorded beside the module's sha256 (what Envoy's "
            "RemoteDataSource.sha256 means).",
            "Istio pkg/wasm/cache.go (https://github.com/istio/istio/blob/master/pkg/wasm/cache.go) getOrFetch (PR #37566); Envoy RemoteDataSource.sha256 (https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/base.proto)",
        ),
        Check(
            "SPEC-VARIANT-001",
            MUST,
            "The manifest has the media types and layer count of its packaging variant",
            "oci: exactly 2 layers, one application/vnd.module.wasm.config.v1+json and one "
            "application/vnd.module.wasm.content.layer.v1+wasm; compat: the last layer is a tar+gzip of "
            "the manifest's kind holding plugin.wasm; cncf: config application/vnd.wasm.config.v0+json, "
            "one application/wasm layer, config fields per the CNCF layout.",
            f"{WASME_SPEC}; {FETCHERS}; CNCF TAG-Runtime Wasm OCI artifact layout",
        ),
        Check(
            "SPEC-VARIANT-002",
            SHOULD,
            "The package carries its variant's recommended metadata",
            "oci: the manifest config is the runtime config blob and the layers are titled "
            "runtime-config.json and filter.wasm (as wasme writes them); compat with an OCI layer: the "
            "manifest is annotated module.wasm.image/variant=compat.",
            f"{WASME_SPEC}; https://github.com/solo-io/wasm/blob/master/tools/wasme/pkg/push/push.go",
        ),
        Check(
            "SPEC-VARIANT-003",
            SHOULD,
            "Istio and Envoy Gateway can load the package's format",
            "Istio and Envoy Gateway fetch the compat and oci variants only; a CNCF Wasm artifact (or a "
            "wasm-to-oci one) is not loadable by them.",
            FETCHERS,
        ),
        Check(
            "SPEC-MODULE-001",
            MUST,
            "The package's module is a WebAssembly binary",
            "The module layer (or plugin.wasm) holds a valid WebAssembly module: Istio checks the magic "
            "number, Envoy parses it.",
            "Istio pkg/wasm/cache.go (https://github.com/istio/istio/blob/master/pkg/wasm/cache.go) isValidWasmBinary; proxy-wasm-cpp-host bytecode_util.cc (https://github.com/proxy-wasm/proxy-wasm-cpp-host/blob/main/src/bytecode_util.cc)",
        ),
        Check(
            "SPEC-CONFIG-001",
            MUST,
            "runtime-config.json parses as wasme parses it",
            "The runtime config has only the keys type, abiVersions (or abi_versions) and config.rootIds "
            "(or config.root_ids), with those types, and type is envoy_proxy; the manifest annotation "
            "module.wasm.runtime/type agrees.",
            "https://github.com/solo-io/wasm/blob/master/tools/wasme/pkg/config/runtime.proto and helpers.go (jsonpb)",
        ),
        Check(
            "SPEC-CONFIG-002",
            SHOULD,
            "runtime-config.json declares at least one root id",
            "wasme deploy uses rootIds[0] when no root id is given, and fails with 'no roots found in "
            "config' when there is none.",
            "https://github.com/solo-io/wasm/blob/master/tools/wasme/pkg/deploy/deployer.go",
        ),
        Check(
            "SPEC-ABI-001",
            MUST,
            "The declared abiVersions match the ABI marker the module exports",
            "Every ABI version the runtime config (or the module.wasm.runtime/abi_version annotation) "
            "declares is one the module exports as proxy_abi_version_*, and the module's version is among "
            "them; wasme's v0-<commit> names are accepted as legacy aliases.",
            "proxy-wasm-cpp-host bytecode_util.cc getAbiVersion (https://github.com/proxy-wasm/proxy-wasm-cpp-host/blob/main/src/bytecode_util.cc)",
        ),
        Check(
            "SPEC-ROOTID-001",
            MUST,
            "Every declared root id starts in Envoy",
            "Envoy started with the module and each declared root id becomes ready, i.e. the VM starts and "
            "the root context accepts its configuration.",
            "Envoy PluginConfig.root_id (https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/wasm/v3/wasm.proto); Envoy Gateway rootID doc",
        ),
        Check(
            "SPEC-SIZE-001",
            MUST,
            "The module is at most 256 MiB",
            "Istio (ISTIO_WASM_MAX_BINARY_SIZE_BYTES) and Envoy Gateway (maxWasmSize) stop at 256 MiB; "
            "Istio silently truncates a larger module.",
            "https://github.com/istio/istio/blob/master/pilot/pkg/features/pilot.go; https://github.com/envoyproxy/gateway/blob/main/internal/wasm/imagefetcher.go",
        ),
    )
}


def case_metadata(case_id: str) -> dict[str, str]:
    return CHECKS[case_id].case_metadata()


# -- integrity -----------------------------------------------------------------------------------------
def check_descriptor_digests(package: Package) -> list[str]:
    problems = []
    for name, descriptor in package.descriptors():
        digest = descriptor.get("digest")
        if not isinstance(digest, str) or digest_problem(digest):
            continue  # the manifest schema (SPEC-VARIANT-001) names a malformed descriptor
        if digest in package.missing_blobs:
            problems.append(f"{name}: blob {digest} is missing ({package.missing_blobs[digest]})")
            continue
        data = package.blobs.get(digest)
        if data is None:
            problems.append(f"{name}: blob {digest} is missing")
            continue
        actual = digest_of(data, digest.split(":", 1)[0])
        if actual != digest:
            problems.append(f"{name}.digest: is {digest}, but the blob's bytes hash to {actual}")
        size = descriptor.get("size")
        if isinstance(size, int) and size != len(data):
            problems.append(f"{name}.size: is {size}, but the blob has {len(data)} bytes")
    for where, digest, data in package.content_claims:
        actual = digest_of(data, digest.split(":", 1)[0])
        if actual != digest:
            problems.append(f"{where}: is {digest}, but the content hashes to {actual}")
    return problems


def check_manifest_digest(package: Package) -> list[str]:
    if package.manifest_synthesized:
        raise NotApplicable("a docker save archive has no registry manifest; docker push sets its digest")
    problems = []
    for claim in package.manifest_claims:
        actual = digest_of(package.manifest_bytes, claim.digest.split(":", 1)[0])
        if actual != claim.digest:
            problems.append(f"{claim.where}: names {claim.digest}, but the manifest's bytes hash to {actual}")
        if claim.size is not None and claim.size != len(package.manifest_bytes):
            problems.append(
                f"{claim.where}: gives size {claim.size}, but the manifest has {len(package.manifest_bytes)} bytes"
            )
    return problems


def recorded_digests(package: Package) -> dict[str, str | None]:
    """The two sha256 values a deployment names: the manifest's (Istio, Envoy Gateway) and the module's (Envoy)."""
    try:
        module_sha256 = digest_of(find_module(package).data, "sha256")
    except PackageError:
        module_sha256 = None
    manifest = None if package.manifest_synthesized else package.manifest_digest
    return {"manifest_digest": manifest, "module_sha256": module_sha256}


# -- format --------------------------------------------------------------------------------------------
def check_variant_shape(package: Package) -> list[str]:
    variant = detect_variant(package)
    if variant == OCI:
        return validate(package.manifest, "manifest-oci", what="manifest")
    if variant == COMPAT:
        return _compat_shape(package)
    if variant == CNCF:
        return _cncf_shape(package)
    if variant == WASM_TO_OCI:
        return [
            f"manifest: a wasm-to-oci artifact ({_types(package)}); Istio and Envoy Gateway need the oci "
            "variant (2 layers) or the compat variant: repackage with `wasmhub package`"
        ]
    return [f"manifest: not a Wasm package in any known variant ({_types(package)})"]


def _compat_shape(package: Package) -> list[str]:
    problems = validate(package.manifest, "manifest-compat", what="manifest")
    if not package.layers:
        return problems
    index = len(package.layers) - 1
    manifest_type = package.media_type or mt.OCI_MANIFEST
    wanted = mt.COMPAT_LAYER_FOR_MANIFEST.get(manifest_type)
    actual = package.layers[index].get("mediaType")
    if wanted and actual != wanted:
        problems.append(
            f"layers[{index}].mediaType: is {json.dumps(actual)}, expected {json.dumps(wanted)} "
            f"(the last layer of a compat image with a {manifest_type} manifest)"
        )
        return problems
    try:
        find_module(package, COMPAT)
    except StructureProblem as exc:
        problems.append(str(exc))
    except MissingContent:
        pass  # SPEC-DIGEST-001
    return problems


def _cncf_shape(package: Package) -> list[str]:
    problems = validate(package.manifest, "manifest-cncf", what="manifest")
    config = package.config_descriptor
    data = package.blob(config) if config else None
    if data is None:
        return problems  # a missing config is SPEC-DIGEST-001's; no config at all, the schema's
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [*problems, f"config: is not JSON ({exc})"]
    problems += validate(value, "cncf-config", what="config")
    layer_digests = [layer.get("digest") for layer in package.layers]
    if isinstance(value, dict) and value.get("layerDigests") != layer_digests:
        problems.append(
            f"config.layerDigests: is {json.dumps(value.get('layerDigests'))}, expected the layers' digests "
            f"{json.dumps(layer_digests)}"
        )
    return problems


def check_variant_metadata(package: Package) -> list[str]:
    variant = detect_variant(package)
    problems = []
    if variant == OCI:
        titles = {mt.WASME_CONFIG: mt.RUNTIME_CONFIG_FILE, mt.WASME_CONTENT: mt.WASME_MODULE_TITLE}
        for index, layer in enumerate(package.layers):
            wanted = titles.get(str(layer.get("mediaType")))
            title = (layer.get("annotations") or {}).get(mt.TITLE)
            if wanted and title != wanted:
                problems.append(
                    f"layers[{index}].annotations.{mt.TITLE}: is {json.dumps(title)}, expected {json.dumps(wanted)}"
                )
        config = package.config_descriptor or {}
        config_layers = [layer for layer in package.layers if layer.get("mediaType") == mt.WASME_CONFIG]
        if config.get("mediaType") != mt.WASME_CONFIG:
            problems.append(
                f"config.mediaType: is {json.dumps(config.get('mediaType'))}, expected {mt.WASME_CONFIG}"
            )
        elif config_layers and config.get("digest") != config_layers[0].get("digest"):
            problems.append("config.digest: differs from the config layer's; wasme writes one blob as both")
        return problems
    if variant == COMPAT:
        if package.layers and package.layers[-1].get("mediaType") == mt.OCI_LAYER_TAR_GZIP:
            value = package.annotations.get(mt.IMAGE_VARIANT)
            if value != COMPAT:
                problems.append(f'annotations.{mt.IMAGE_VARIANT}: is {json.dumps(value)}, expected "compat"')
            return problems
        raise NotApplicable("a compat image with a Docker layer needs no variant annotation")
    raise NotApplicable(f"the {variant} variant has no recommended metadata beyond its schema")


def check_loadable(package: Package) -> list[str]:
    variant = detect_variant(package)
    if variant in LOADERS:
        return []
    what = {CNCF: "a CNCF Wasm artifact", WASM_TO_OCI: "a wasm-to-oci artifact"}.get(
        variant, "an unknown format"
    )
    return [
        f"manifest: {what}; Istio and Envoy Gateway load only the oci and compat variants, so publish one "
        "of those as well (`wasmhub package --variant oci`)"
    ]


# -- the module and its description ----------------------------------------------------------------------
def module_of(package: Package) -> Located:
    """The module bytes, or NotApplicable when another case reports why they are unreadable."""
    try:
        return find_module(package)
    except MissingContent as exc:
        raise NotApplicable(f"the module's blob is missing ({exc}); see SPEC-DIGEST-001") from None
    except StructureProblem as exc:
        raise NotApplicable(f"no module to check ({exc}); see SPEC-VARIANT-001") from None


def check_module_binary(package: Package) -> list[str]:
    located = module_of(package)
    try:
        validate_wasm(located.data, located.where)
    except ModuleError as exc:
        return [str(exc)]
    return []


def check_module_size(size: int) -> list[str]:
    if size <= mt.MAX_MODULE_BYTES:
        return []
    return [
        f"the module is {size} bytes ({size / 2**20:.1f} MiB); Istio and Envoy Gateway refuse (or truncate) "
        f"modules over {mt.MAX_MODULE_BYTES} bytes (256 MiB)"
    ]


def check_package_module_size(package: Package) -> list[str]:
    return check_module_size(len(module_of(package).data))


def runtime_config_of(package: Package) -> tuple[Located, ParsedRuntimeConfig]:
    try:
        located = find_runtime_config(package)
    except MissingContent as exc:
        raise NotApplicable(f"the runtime config's blob is missing ({exc}); see SPEC-DIGEST-001") from None
    except StructureProblem as exc:
        raise NotApplicable(f"the runtime config cannot be read ({exc}); see SPEC-VARIANT-001") from None
    if located is None:
        raise NotApplicable(f"the package carries no {mt.RUNTIME_CONFIG_FILE}")
    return located, parse_runtime_config(located.data)


def check_runtime_config(package: Package) -> list[str]:
    _, parsed = runtime_config_of(package)
    problems = parsed.errors + [f"note: {w}" for w in parsed.warnings]
    annotated = package.annotations.get(mt.RUNTIME_TYPE)
    if annotated is not None and parsed.config and annotated != parsed.config.type:
        problems.append(
            f"annotations.{mt.RUNTIME_TYPE}: is {json.dumps(annotated)}, but {mt.RUNTIME_CONFIG_FILE}.type "
            f"is {json.dumps(parsed.config.type)}"
        )
    return problems


def declared_root_ids(package: Package) -> tuple[str, ...]:
    _, parsed = runtime_config_of(package)
    if parsed.config is None or parsed.errors:
        raise NotApplicable(f"{mt.RUNTIME_CONFIG_FILE} does not parse; see SPEC-CONFIG-001")
    return parsed.config.root_ids


def check_root_ids_declared(package: Package) -> list[str]:
    if declared_root_ids(package):
        return []
    return [f"{mt.RUNTIME_CONFIG_FILE}.config.rootIds: is empty; list the root id(s) the module registers"]


def module_abi_versions(data: bytes) -> list[str]:
    try:
        names = parse(data).export_names("func")
    except WasmFormatError as exc:
        raise NotApplicable(f"the module does not parse ({exc}); see SPEC-MODULE-001") from None
    markers = [n for n in names if n.startswith(ABI_MARKER_PREFIX)]
    return [m[len(ABI_MARKER_PREFIX) :].replace("_", ".") for m in markers]


def check_abi_versions(package: Package) -> list[str]:
    _, parsed = runtime_config_of(package)
    if parsed.config is None or parsed.errors:
        raise NotApplicable(f"{mt.RUNTIME_CONFIG_FILE} does not parse; see SPEC-CONFIG-001")
    exported = module_abi_versions(module_of(package).data)
    where = f"{mt.RUNTIME_CONFIG_FILE}.abiVersions"
    if not exported:
        return [f"{where}: cannot be honoured: the module exports no proxy_abi_version_* function"]
    markers = ", ".join(ABI_MARKER_PREFIX + v.replace(".", "_") for v in exported)
    problems = _declared_versions_problems(where, list(parsed.config.abi_versions), exported, markers)
    if not parsed.config.abi_versions:
        problems.append(f'{where}: is empty; declare ["v{exported[0]}"] (the module exports {markers})')
    elif not any(abi_version_of(name) in exported for name in parsed.config.abi_versions):
        problems.append(f"{where}: does not list v{exported[0]}, the version the module exports ({markers})")
    annotated = package.annotations.get(mt.RUNTIME_ABI_VERSION)
    if annotated is not None:
        names = [n.strip() for n in str(annotated).split(",") if n.strip()]
        problems += _declared_versions_problems(
            f"annotations.{mt.RUNTIME_ABI_VERSION}", names, exported, markers
        )
    return problems


def _declared_versions_problems(
    where: str, names: Sequence[str], exported: list[str], markers: str
) -> list[str]:
    problems = []
    for index, name in enumerate(names):
        version = abi_version_of(name)
        if version is None and LEGACY_ABI_NAME.match(name):
            continue
        if version is None:
            problems.append(
                f"{where}[{index}]: {json.dumps(name)} names no ABI version (v0.1.0, v0.2.0 or v0.2.1)"
            )
        elif version not in exported:
            problems.append(f"{where}[{index}]: declares {name}, but the module exports {markers} only")
    return problems


def check_root_ids_start(
    module_path: Path, root_ids: Sequence[str], workdir: Path, *, binary: Path | str | None = None
) -> list[str]:
    """Start Envoy once per root id; each must come up with the VM running."""
    if not root_ids:
        raise NotApplicable("the package declares no root ids")
    from ..envoy import probe_load  # Envoy only when this check runs

    problems = []
    for index, root_id in enumerate(root_ids):
        result = probe_load(
            Path(module_path), binary=binary, workdir=Path(workdir) / f"root-id-{index}", root_id=root_id
        )
        if not result.loaded:
            problems.append(
                f"{mt.RUNTIME_CONFIG_FILE}.config.rootIds[{index}]: Envoy did not start {root_id!r}: {result.reason}"
            )
    return problems


# -- running them all ------------------------------------------------------------------------------------
@dataclass
class Outcome:
    check: Check
    status: str  # pass | fail | n/a
    messages: list[str] = field(default_factory=list)


STATIC_CHECKS: dict[str, Callable[[Package], list[str]]] = {
    "SPEC-DIGEST-001": check_descriptor_digests,
    "SPEC-DIGEST-002": check_manifest_digest,
    "SPEC-VARIANT-001": check_variant_shape,
    "SPEC-VARIANT-002": check_variant_metadata,
    "SPEC-VARIANT-003": check_loadable,
    "SPEC-MODULE-001": check_module_binary,
    "SPEC-CONFIG-001": check_runtime_config,
    "SPEC-CONFIG-002": check_root_ids_declared,
    "SPEC-ABI-001": check_abi_versions,
    "SPEC-SIZE-001": check_package_module_size,
}


def run_checks(
    package: Package, *, envoy_workdir: Path | None = None, envoy_binary: Path | str | None = None
) -> list[Outcome]:
    """Every check on ``package``; the Envoy root-id check only when ``envoy_workdir`` is given."""
    try:
        package.manifest  # noqa: B018 - parse once; a manifest that is not JSON fails the shape case
    except PackageError as exc:
        return [
            Outcome(CHECKS[i], "fail", [str(exc)])
            if i == "SPEC-VARIANT-001"
            else Outcome(CHECKS[i], "n/a", ["no manifest"])
            for i in CHECKS
        ]
    outcomes = [_outcome(case_id, lambda f=func: f(package)) for case_id, func in STATIC_CHECKS.items()]
    if envoy_workdir is None:
        outcomes.append(Outcome(CHECKS["SPEC-ROOTID-001"], "n/a", ["not run (no Envoy requested)"]))
    else:
        outcomes.append(
            _outcome("SPEC-ROOTID-001", lambda: _root_ids_in_envoy(package, envoy_workdir, envoy_binary))
        )
    return outcomes


def _root_ids_in_envoy(package: Package, workdir: Path, binary: Path | str | None) -> list[str]:
    root_ids = declared_root_ids(package)
    module = module_of(package)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "module.wasm"
    path.write_bytes(module.data)
    return check_root_ids_start(path, root_ids, workdir, binary=binary)


def _outcome(case_id: str, run: Callable[[], list[str]]) -> Outcome:
    try:
        problems = run()
    except NotApplicable as exc:
        return Outcome(CHECKS[case_id], "n/a", [str(exc)])
    return Outcome(CHECKS[case_id], "fail" if problems else "pass", problems)


def failed(outcomes: Sequence[Outcome], level: str | None = None) -> list[Outcome]:
    return [o for o in outcomes if o.status == "fail" and (level is None or o.check.level == level)]


def _types(package: Package) -> str:
    config = (package.config_descriptor or {}).get("mediaType")
    layers = ", ".join(str(layer.get("mediaType")) for layer in package.layers) or "none"
    return f"config {config}, layers {layers}"


def describe(package: Package) -> dict[str, Any]:
    """The package facts a report shows: variant, digests, media types, runtime config."""
    facts = package.summary()
    facts["variant"] = detect_variant(package)
    facts["loadable_by"] = list(LOADERS.get(facts["variant"], ()))
    facts.update(recorded_digests(package))
    try:
        located = find_runtime_config(package)
    except PackageError:
        located = None
    parsed = parse_runtime_config(located.data) if located else None
    facts["config"] = parsed.raw if parsed else None
    if facts["variant"] == UNKNOWN:
        facts["loadable_by"] = []
    return facts
