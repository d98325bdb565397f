"""Reading Envoy's log: split lines into level, component and message; find why Envoy gave up."""

from __future__ import annotations

import re
from dataclasses import dataclass

# [2026-11-25 18:00:00.123][4242][error][wasm] [source/.../wasm.cc:110] message
_LINE = re.compile(
    r"^\[[^\]]*\]\[\d+\]\[(?P<level>\w+)\]\[(?P<component>[\w.-]+)\] (?:\[[^\]]*\] )?(?P<msg>.*)$"
)
_PROBLEM_LEVELS = ("error", "critical")


@dataclass(frozen=True)
class LogLine:
    level: str
    component: str
    message: str


def parse_log(text: str) -> list[LogLine]:
    lines = []
    for raw in text.splitlines():
        match = _LINE.match(raw)
        if match:
            lines.append(LogLine(match["level"], match["component"], match["msg"].strip()))
    return lines


def wasm_errors(text: str) -> list[str]:
    """Messages Envoy logged at error or critical level about Wasm, in order, without repeats."""
    seen: list[str] = []
    for line in parse_log(text):
        if line.level in _PROBLEM_LEVELS and line.component == "wasm" and line.message not in seen:
            seen.append(line.message)
    return seen


_MISSING_RUNTIME = re.compile(
    r"Failed to create Wasm VM using (\S+) runtime\. Envoy was compiled without support"
)
_RUNTIMES = re.compile(r"^\s*envoy\.wasm\.runtime: (.*)$")


def missing_runtime(text: str) -> str | None:
    """The Wasm runtime the bootstrap asked for when this Envoy build does not have it."""
    match = _MISSING_RUNTIME.search(text)
    return match[1] if match else None


def available_runtimes(text: str) -> list[str]:
    """The Wasm runtimes Envoy listed among its extensions at start-up."""
    for line in parse_log(text):
        match = _RUNTIMES.match(line.message)
        if match:
            return [name.strip() for name in match[1].split(",") if name.strip()]
    return []


def refusal_reason(text: str) -> str:
    """Envoy's own words for why it stopped: the Wasm errors first, else its critical lines."""
    runtime = missing_runtime(text)
    if runtime:
        others = ", ".join(available_runtimes(text)) or "none"
        return (
            f"this Envoy build has no Wasm runtime {runtime}: Envoy was compiled without support for it "
            f"(its Wasm runtimes: {others})"
        )
    reasons = wasm_errors(text)
    if not reasons:
        reasons = [line.message for line in parse_log(text) if line.level == "critical"]
    # the generic wrap-up lines add nothing once a specific reason is known
    specific = [r for r in reasons if not r.startswith(("Plugin ", "Unable to create"))]
    chosen = specific or reasons
    if not chosen:
        tail = [raw for raw in text.strip().splitlines() if raw.strip()][-1:]
        return tail[0] if tail else "no log output"
    return "; ".join(dict.fromkeys(chosen))


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])
