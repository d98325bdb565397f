"""Reading Envoy's log: entries (with their continuation lines), Envoy's own Wasm failures apart from
the module's own log lines, and why Envoy gave up."""

from __future__ import annotations

import re
from dataclasses import dataclass

# [2026-11-25 18:00:00.123][4242][error][wasm] [source/.../wasm.cc:110] message
_LINE = re.compile(
    r"^\[(?P<time>[^\]]*)\]\[(?P<thread>\d+)\]\[(?P<level>\w+)\]\[(?P<component>[\w.-]+)\] "
    r"(?:\[[^\]]*\] )?(?P<msg>.*)$"
)
_PROBLEM_LEVELS = ("error", "critical")
# Envoy prints what a module logs through proxy_log (or writes to stdout/stderr through WASI) as
# "wasm log <plugin> [<root_id> <vm_id>]: <message>", at the level the module chose
_MODULE_LOG = re.compile(r"^wasm log(?: [^:]*)?: ?(?P<text>.*)$", re.DOTALL)
_TRAP = re.compile(r"^Function: (?P<callback>\w+) failed: (?P<text>[^\n]*)")
# a run of this many one-character module lines is one message written a byte at a time (TinyGo)
_BYTEWISE_RUN = 3


@dataclass(frozen=True)
class LogEntry:
    time: str
    thread: str
    level: str
    component: str
    message: str  # with its continuation lines (a backtrace, the second line of a Rust panic)

    @property
    def first_line(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def is_problem(self) -> bool:
        return self.level in _PROBLEM_LEVELS

    @property
    def module_text(self) -> str | None:
        """What the module itself logged, when this entry is one of the module's own lines."""
        if self.component != "wasm":
            return None
        match = _MODULE_LOG.match(self.message)
        return match["text"] if match else None

    @property
    def is_envoy_wasm_failure(self) -> bool:
        """Envoy's own word that Wasm failed (a trap, a failed VM or plugin), never the module's line."""
        return self.is_problem and self.component == "wasm" and self.module_text is None


@dataclass(frozen=True)
class Trap:
    """Envoy's report of a callback that did not return: ``Function: <callback> failed: <text>``."""

    callback: str
    text: str
    time: str
    backtrace: tuple[str, ...] = ()
    said: str = ""  # what the module logged at error level just before (a panic message)

    def describe(self) -> str:
        return f"{self.callback}: {self.text}" + (
            f"; the module logged before: {self.said}" if self.said else ""
        )


def parse_log(text: str) -> list[LogEntry]:
    """Every entry of Envoy's log; lines that do not start an entry continue the one before."""
    return [entry for _, entry in _parse_log(text)]


def _parse_log(text: str, base: int = 0) -> list[tuple[int, LogEntry]]:
    """The entries of ``text`` with the offset (plus ``base``) where each one's first line starts."""
    entries: list[tuple[int, LogEntry]] = []
    current: dict[str, str] | None = None
    started = offset = base
    for line in text.splitlines(keepends=True):
        raw = line.rstrip("\r\n")
        match = _LINE.match(raw)
        if match:
            if current is not None:
                entries.append((started, LogEntry(**current)))
            started = offset
            current = {
                "time": match["time"],
                "thread": match["thread"],
                "level": match["level"],
                "component": match["component"],
                "message": match["msg"].rstrip(),
            }
        elif current is not None and not raw.startswith('{"'):  # JSON lines are access records
            current["message"] += "\n" + raw.rstrip()
        offset += len(line)
    if current is not None:
        entries.append((started, LogEntry(**current)))
    return entries


class LogReader:
    """Envoy's log parsed as it grows: each call parses only what was appended since the last one, and
    the last entry again (continuation lines may still follow it). The suite reads the log around
    every request, so parsing it whole each time grew with the run."""

    def __init__(self) -> None:
        self._seen = ""  # the end of the text parsed so far (a sample, to tell the same log grew)
        self._seen_to = 0  # how much of the text was parsed
        self._done: list[LogEntry] = []  # entries that can no longer change
        self._last_at = 0  # where the entry that may still grow starts

    def entries(self, text: str) -> list[LogEntry]:
        sample_at = self._seen_to - len(self._seen)
        if not text.startswith(self._seen, sample_at) or len(text) < self._seen_to:
            self.__init__()  # not the text parsed before (another log): start again
        fresh = _parse_log(text[self._last_at :], self._last_at)
        if fresh:
            self._done.extend(entry for _, entry in fresh[:-1])
            self._last_at, last = fresh[-1]
            result = [*self._done, last]
        else:
            result = list(self._done)
        self._seen_to = len(text)
        self._seen = text[max(0, self._seen_to - 64) :]
        return result


def wasm_failures(entries: list[LogEntry]) -> list[LogEntry]:
    """Envoy's own Wasm failure entries (error or critical), the module's own lines left out."""
    return [entry for entry in entries if entry.is_envoy_wasm_failure]


def wasm_errors(text: str) -> list[str]:
    """The first lines of Envoy's own Wasm failures, in order, without repeats; never the module's lines."""
    seen: list[str] = []
    for entry in wasm_failures(parse_log(text)):
        if entry.first_line not in seen:
            seen.append(entry.first_line)
    return seen


# how far back from a trap the module's last words (a panic message) are looked for
_LAST_WORDS_WINDOW = 80


def traps(entries: list[LogEntry]) -> list[Trap]:
    found = []
    for index, entry in enumerate(entries):
        match = _TRAP.match(entry.message) if entry.is_envoy_wasm_failure else None
        if match:
            backtrace = tuple(line.strip() for line in entry.message.split("\n")[1:] if line.strip())
            before = [
                e for e in entries[max(0, index - _LAST_WORDS_WINDOW) : index] if e.thread == entry.thread
            ]
            found.append(Trap(match["callback"], match["text"], entry.time, backtrace, last_words(before)))
    return found


START_CALLBACKS = ("proxy_on_vm_start", "proxy_on_configure", "proxy_on_context_create")


def start_failures(entries: list[LogEntry]) -> list[str]:
    """Envoy's Wasm failures of the start-up (a trap in proxy_on_vm_start/configure, a VM that failed to
    start); what a running module does afterwards (a timer's trap) is left out."""
    found = [trap.describe() for trap in traps(entries) if trap.callback in START_CALLBACKS]
    found += [e.first_line for e in wasm_failures(entries) if not e.first_line.startswith("Function:")]
    return found


@dataclass(frozen=True)
class ModuleLine:
    level: str
    text: str
    time: str


def module_lines(entries: list[LogEntry]) -> list[ModuleLine]:
    """The module's own log lines; a message written one byte per call (TinyGo's panics) joined again."""
    lines: list[ModuleLine] = []
    run: list[LogEntry] = []

    def flush_run() -> None:
        if len(run) >= _BYTEWISE_RUN:
            text = "".join(entry.module_text or "\n" for entry in run).strip("\n\x00")
            lines.append(ModuleLine(run[0].level, text, run[0].time))
        else:
            lines.extend(ModuleLine(e.level, e.module_text or "", e.time) for e in run)
        run.clear()

    for entry in entries:
        text = entry.module_text
        if text is None:
            continue
        if len(text) <= 1 and (not run or run[-1].thread == entry.thread):
            run.append(entry)
            continue
        flush_run()
        lines.append(ModuleLine(entry.level, text, entry.time))
    flush_run()
    return lines


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
    for entry in parse_log(text):
        match = _RUNTIMES.match(entry.first_line)
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
    entries = parse_log(text)
    reasons = [entry.first_line for entry in wasm_failures(entries)]
    if not reasons:
        reasons = [entry.first_line for entry in entries if entry.level == "critical"]
    # the generic wrap-up lines add nothing once a specific reason is known
    specific = [r for r in reasons if not r.startswith(("Plugin ", "Unable to create"))]
    chosen = specific or reasons
    if not chosen:
        tail_lines = [raw for raw in text.strip().splitlines() if raw.strip()][-1:]
        return tail_lines[0] if tail_lines else "no log output"
    reason = "; ".join(dict.fromkeys(chosen))
    said = last_words(entries)
    return f"{reason} (the module logged: {said})" if said else reason


def last_words(entries: list[LogEntry], limit: int = 300) -> str:
    """The module's last error or critical line (a panic message), for a reason's context."""
    problems = [line for line in module_lines(entries) if line.level in _PROBLEM_LEVELS and line.text]
    if not problems:
        return ""
    # a panic through Rust's default hook ends with "note: run with RUST_BACKTRACE=1 ...": the message
    # is in the line that says where it panicked
    panics = [line for line in problems if "panicked at" in line.text or line.text.startswith("panic:")]
    said = panics[-1].text if panics else problems[-1].text
    if len(problems) > 1 and problems[-2].text.rstrip().endswith(":"):  # "panicked at FILE:LINE:COL:"
        said = problems[-2].text + " " + said
    text = " ".join(said.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tail(text: str, lines: int = 40) -> str:
    """The last ``lines`` lines; when Envoy crashed earlier than that, its crash report first (the
    ``Caught <signal>`` line and the backtrace after it), so a failure report never misses it."""
    all_lines = text.splitlines()
    last = all_lines[-lines:]
    crash = next((i for i, line in enumerate(all_lines) if "][critical][backtrace] Caught " in line), None)
    if crash is None or crash >= len(all_lines) - lines:
        return "\n".join(last)
    report = all_lines[crash : crash + lines]
    return "\n".join([*report, "...", *last] if crash + lines < len(all_lines) - lines else all_lines[crash:])
