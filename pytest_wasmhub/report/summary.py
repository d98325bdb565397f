"""The terminal summary after a run: what failed and why (one line each), the cases by area and level,
the Envoy compatibility table, and the verdict."""

from __future__ import annotations

from .model import (
    ERROR,
    FAIL,
    LABELS,
    NOT_APPLICABLE,
    OUTCOMES,
    PASS,
    RunReport,
    by_area_and_level,
    count,
    ordered,
)
from .verdict import CONFORMANT, NOT_CONFORMANT, WITH_WARNINGS

ATTENTION_SHOWN = 40  # lines of failing results before "... and N more"


def summary_lines(report: RunReport, written: list[str] | None = None) -> list[tuple[str, dict[str, bool]]]:
    """``(text, markup)`` pairs for pytest's terminal writer (markup like ``{"red": True}``)."""
    lines: list[tuple[str, dict[str, bool]]] = []
    cases = ordered(report.cases)
    module = report.module
    about = f"module {module['source']} (sha256 {module['sha256'][:16]}…)" if module else "no module"
    envoys = ", ".join(e.version + ("" if e.wasm_supported else " (no Wasm runtime)") for e in report.envoys)
    lines.append((f"{about} on Envoy {envoys or '?'} [{report.backend}]", {}))
    kinds = module.get("kinds") if module else None
    if kinds:
        how = "auto" if kinds["requested"] == ["auto"] else "--wasm-kind"
        left = "; ".join(f"not {kind}: {why}" for kind, why in kinds["left_out"].items())
        lines.append(
            (f"runs as {', '.join(kinds['kinds']) or 'nothing'} ({how})" + (f"; {left}" if left else ""), {})
        )

    attention = [r for r in cases if r.outcome not in (PASS, NOT_APPLICABLE)]
    for result in attention[:ATTENTION_SHOWN]:
        colour = {"red": True} if result.outcome in (FAIL, ERROR) else {"yellow": True}
        text = f"{LABELS[result.outcome]:5} {result.case.level:6} {result.label}: {result.message or result.case.title}"
        lines.append((text, colour))
    if len(attention) > ATTENTION_SHOWN:
        lines.append((f"... and {len(attention) - ATTENTION_SHOWN} more (see the report)", {}))

    areas = by_area_and_level(cases)
    if areas:
        lines.append(("cases by area and level:", {"bold": True}))
        for area, level, counts in areas:
            shown = ", ".join(f"{counts[o]} {LABELS[o].lower()}" for o in OUTCOMES if counts[o])
            lines.append((f"  {area:10} {level:6} {shown}", {}))

    if report.compatibility:
        lines.append(("Envoy compatibility (module x version):", {"bold": True}))
        for row in report.compatibility:
            counts = row.counts
            reason = f"  {row.load_reason}" if row.load_reason else ""
            lines.append(
                (
                    f"  {row.envoy_version:12} {row.load:11} pass {counts['pass']:3}  fail {counts['fail']:3}  "
                    f"error {counts['error']:3}  skip {counts['skip']:3}  n/a {counts['not_applicable']:3}{reason}",
                    {"red": True} if row.load != "loaded" else {},
                )
            )

    other = count(r for r in report.results if r.case is None)
    if sum(other.values()):
        lines.append((f"other tests: {other['pass']} passed, {other['fail'] + other['error']} failed", {}))
    for path in written or []:
        lines.append((f"report: {path}", {}))

    verdict = report.verdict
    colour = {
        CONFORMANT: {"green": True},
        NOT_CONFORMANT: {"red": True},
    }.get(verdict.status, {"yellow": True})
    # why it is not conformant, partial or interrupted (warnings are listed above already)
    explained = verdict.reasons and verdict.status not in (CONFORMANT, WITH_WARNINGS)
    first_reason = f": {verdict.reasons[0]}" if explained else ""
    more = f" (+{len(verdict.reasons) - 1} more)" if first_reason and len(verdict.reasons) > 1 else ""
    lines.append(
        (
            f"verdict: {verdict.title.upper()}{first_reason}{more} -> exit code {verdict.exit_code}"
            f"{' (strict)' if verdict.strict else ''}",
            {**colour, "bold": True},
        )
    )
    return lines
