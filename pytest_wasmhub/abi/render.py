"""The human form of an inspection: a summary of the module, then one block per problem."""

from __future__ import annotations

import textwrap

from .catalogue import CASES, FAIL, NOT_APPLICABLE, PASS
from .checks import reachable_memory
from .inspector import Inspection, marker_status

WIDTH = 110
ROLE_LABELS = {
    "http-filter": "HTTP filter",
    "network-filter": "network (TCP) filter",
    "root-service": "root-only service",
}
FEATURE_LABELS = {
    "http_callouts": "HTTP callouts",
    "grpc": "gRPC",
    "timers": "timers",
    "shared_data": "shared data",
    "shared_queues": "shared queues",
    "metrics": "metrics",
    "properties": "properties",
    "foreign_functions": "foreign functions",
    "local_response": "local responses",
    "logging": "logging",
    "headers": "headers",
    "buffers": "bodies",
    "stream_control": "stream control",
    "time": "clock",
    "randomness": "randomness",
    "environment": "environment",
    "status": "call status",
}
VERDICTS = {
    "refused": "REFUSED: {host} will refuse to load this module",
    "crashes": "CRASHES: {host} loads this module, then the whole proxy crashes",
    "loads": "LOADS: {host} will load this module",
}


def render_text(inspection: Inspection, *, show_all: bool = False) -> str:
    lines = [f"wasmhub inspect: {inspection.name}"]
    lines += [f"  {label:<11} {value}" for label, value in summary(inspection)]
    lines.append("")
    findings = inspection.findings
    for f in findings:
        status = "FAIL" if f.level == "MUST" else "WARN"
        head = f"{status} {f.level:<6} {f.case_id:<16} {f.subject}".rstrip()
        lines.append(head)
        lines += textwrap.wrap(f.message, WIDTH, initial_indent="     ", subsequent_indent="     ")
    results = inspection.results
    passed = [c for c, r in results.items() if r.status == PASS]
    skipped = [c for c, r in results.items() if r.status == NOT_APPLICABLE]
    if show_all:
        lines += [f"pass {CASES[c].level:<6} {c:<16} {CASES[c].title}" for c in passed]
        lines += [f"n/a  {CASES[c].level:<6} {c:<16} {results[c].reason}" for c in skipped]
    must = sum(f.level == "MUST" for f in findings)
    failed_cases = sum(r.status == FAIL for r in results.values())
    lines.append("")
    lines.append(
        f"{len(findings)} problem(s) in {failed_cases} case(s): {must} MUST, {len(findings) - must} SHOULD; "
        f"{len(passed)} case(s) passed, {len(skipped)} not applicable ({inspection.seconds * 1000:.1f} ms)"
    )
    return "\n".join(lines)


def summary(inspection: Inspection) -> list[tuple[str, str]]:
    facts, host = inspection.facts, inspection.host
    rows = [
        ("size", f"{facts.size} bytes (limit {host.max_module_bytes}), sha256 {inspection.sha256}"),
        ("host", f"{host.name}: {host.title}"),
        ("verdict", VERDICTS[inspection.verdict].format(host=host.display_name)),
        ("valid", "yes" if facts.valid else f"no: {facts.validation_error}"),
    ]
    if not facts.parsed:
        return rows
    markers = (
        ", ".join(m.name if m.kind == "func" else f"{m.name} ({m.kind})" for m in facts.markers) or "none"
    )
    rows.append(
        ("ABI", f"{inspection.abi_version or 'unknown'} (markers: {markers}; {marker_status(facts)})")
    )
    memory = facts.memory
    reach = reachable_memory(facts, host)
    count = memory.initial_pages if memory else None
    pages = "" if count is None else f", {count} page{'' if count == 1 else 's'} (64 KiB each) initially"
    rows.append(("memory", f"{reach or 'unreachable by the host'}{pages}"))
    allocators = [n for n in ("proxy_on_memory_allocate", "malloc") if facts.exports_function(n)]
    called = next((n for n in host.allocator_lookup if facts.exports_function(n)), None)
    rows.append(
        ("allocator", f"{', '.join(allocators) or 'none'}" + (f" (host calls {called})" if called else ""))
    )
    start = [n for n in ("_initialize", "main", "__main_void", "_start") if facts.exports_function(n)]
    if facts.binary and facts.binary.start_function is not None:
        start.append(f"wasm start function {facts.binary.start_function}")
    rows.append(("start-up", ", ".join(start) or "none"))
    rows.append(("usable as", ", ".join(ROLE_LABELS[r] for r in inspection.roles) or "nothing"))
    rows.append(("features", ", ".join(FEATURE_LABELS.get(f, f) for f in inspection.features) or "none"))
    callbacks = sorted(n for n in facts.functions if n.startswith(("proxy_on_", "envoy_on_")))
    callbacks = [c.removeprefix("proxy_on_") for c in callbacks if c != "proxy_on_memory_allocate"]
    rows.append(("callbacks", ", ".join(callbacks) or "none"))
    rows.append(
        (
            "imports",
            f"{len(facts.imports)}: " + ", ".join(f"{i.module}.{i.name}" for i in facts.imports)
            if facts.imports
            else "none",
        )
    )
    for section in inspection.custom_sections():
        note = section["note"]
        if section["kind"] == "producers" and facts.binary and facts.binary.producers:
            note = "; ".join(
                f"{k}: " + ", ".join(f"{n} {v}".strip() for n, v in vs)
                for k, vs in facts.binary.producers.items()
            )
        rows.append(("section", f"{section['name']} ({section['size']} bytes) {note}".rstrip()))
    return rows
