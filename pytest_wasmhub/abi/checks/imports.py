"""Checks on what the module imports: host functions, WASI functions, other kinds."""

from __future__ import annotations

import difflib
from dataclasses import replace

from ...wasm_binary import Import
from ..facts import ModuleFacts
from ..hosts import HostProfile
from ..model import ABI_VERSIONS, load_abi, marker_name
from .base import NAP_UNPARSED, NotApplicable, Outcome, candidate_versions, check, finding, typed

NONSTANDARD_WASI = ("path_link", "path_symlink")  # proxy-wasm-cpp-host's types differ from WASI preview 1


def is_wasi(module: str) -> bool:
    return module.startswith("wasi")


def _import_problem(imp: Import, host: HostProfile, versions: tuple[str, ...]) -> tuple[str, str] | None:
    """(what is wrong, hint) for an import the host does not link for any of ``versions``; None if it does."""
    if imp.kind != "func":
        if host.non_function_imports.get(imp.kind) == "provided":
            return None
        return f"{host.display_name} does not provide {imp.kind} imports", (
            "Define the value in the module instead of importing it."
        )
    wanted = [host.imports(v).get((imp.module, imp.name)) for v in versions]
    wanted = [w for w in wanted if w is not None]
    if any(w.matches(imp.type) for w in wanted):
        return None
    if wanted:
        want = " or ".join(sorted({str(w) for w in wanted}))
        hint = "Import it with the host's type."
        spec_text = [load_abi(v).spec_text_signatures.get(imp.name) for v in versions]
        if any(s is not None and s.matches(imp.type) for s in spec_text):
            hint = "The 0.1.0 spec text prints that type, but every host links the one above. " + hint
        return f"{host.display_name} links it as {want}, not {typed(imp.type)} (import type mismatch)", hint
    elsewhere = [v for v in ABI_VERSIONS if v not in versions and (imp.module, imp.name) in host.imports(v)]
    if elsewhere:
        return (
            f"{host.display_name} provides it only to modules of ABI {', '.join(elsewhere)}",
            f"Declare that version (export {marker_name(elsewhere[-1])}) if your SDK implements it, "
            "or stop importing it.",
        )
    if imp.module not in ("env", *host.wasi_modules):
        return (
            f"{host.display_name} provides nothing in module {imp.module!r}",
            f"Only 'env' and {', '.join(repr(m) for m in host.wasi_modules)} exist.",
        )
    names = sorted({name for v in versions for (module, name) in host.imports(v) if module == imp.module})
    close = difflib.get_close_matches(imp.name, names, n=1, cutoff=0.8)
    return f"{host.display_name} does not provide it (missing import)", (
        f"Did you mean {close[0]}? " if close else ""
    ) + "Remove the import or the code that needs it."


def import_findings(case_id: str, facts: ModuleFacts, host: HostProfile, wasi: bool) -> Outcome:
    versions = candidate_versions(facts, host)
    problems = []
    for imp in facts.imports:
        if is_wasi(imp.module) != wasi:
            continue
        problem = _import_problem(imp, host, versions)
        if problem:
            what, hint = problem
            kind = f" ({imp.kind})" if imp.kind != "func" else f" {typed(imp.type)}"
            problems.append(
                finding(
                    case_id,
                    f"{imp.module}.{imp.name}{kind}: {what}, so the module is refused. {hint}",
                    f"{imp.module}.{imp.name}",
                    module=imp.module,
                    name=imp.name,
                    kind=imp.kind,
                    type=typed(imp.type) if imp.kind == "func" else None,
                )
            )
    return problems


@check("ABI-IMPORT-001")
def host_imports(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    return import_findings("ABI-IMPORT-001", facts, host, wasi=False)


@check("ABI-WASI-001")
def wasi_imports(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    found = import_findings("ABI-WASI-001", facts, host, wasi=True)
    for i, f in enumerate(found):
        if f.detail.get("name") in NONSTANDARD_WASI and host.name == "envoy":
            found[i] = replace(
                f,
                message=f"{f.message} (Envoy declares {f.detail['name']} with one parameter "
                "fewer than WASI preview 1, so no standard build of this call can link.)",
            )
    return found


def spec_defines(version: str, imp: Import) -> bool:
    signature = load_abi(version).imports().get((imp.module, imp.name))
    return signature is not None and signature.matches(imp.type)


@check("ABI-IMPORT-002")
def spec_imports(facts: ModuleFacts, host: HostProfile) -> Outcome:
    if not facts.parsed:
        return NAP_UNPARSED
    if host.name == "spec":
        return NotApplicable("the spec profile links only what the spec defines (see ABI-IMPORT-001)")
    versions = candidate_versions(facts, host)
    problems = []
    for imp in facts.imports:
        # memory imports are ABI-MEMORY-003's, imports the host refuses ABI-IMPORT-001's and ABI-WASI-001's
        if imp.kind == "memory" or _import_problem(imp, host, versions):
            continue
        if imp.kind == "func" and any(spec_defines(v, imp) for v in versions):
            continue
        subject = f"{imp.module}.{imp.name}"
        if imp.kind != "func":
            what = f"a {imp.kind} import, which the spec does not define"
        elif is_wasi(imp.module):
            what = (
                "a WASI function the spec does not list for proxy-wasm"
                if imp.module == "wasi_snapshot_preview1"
                else f"from {imp.module}, where the spec names only wasi_snapshot_preview1"
            )
        else:
            what = f"specific to {host.display_name}, not a proxy-wasm function"
        problems.append(
            finding(
                "ABI-IMPORT-002",
                f"{subject} is {what}; other hosts (e.g. nginx) may not link it. "
                f"Avoid it, or accept that the module runs on {host.display_name} only.",
                subject,
            )
        )
    return problems
