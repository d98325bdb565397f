"""The test corpus (``tests/corpus/*.wat``) and what each module's first line says it must fail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
_HEADER = re.compile(
    r"^;; (?P<kind>Good|Bad)[^:]*: .*?Must (?P<rule>pass every case|fail (?P<ids>[A-Z0-9, -]+))\.$"
)
_CASE_ID = re.compile(r"ABI-[A-Z]+-\d{3}")


@dataclass(frozen=True)
class CorpusModule:
    path: Path
    good: bool
    must_fail: frozenset[str]  # the case ids the header names; empty for a good module

    @property
    def name(self) -> str:
        return self.path.name


def read_header(path: Path) -> CorpusModule:
    first = path.read_text().splitlines()[0]
    match = _HEADER.match(first)
    if not match:
        raise ValueError(
            f"{path.name}: first line must read ';; Good|Bad: WHAT. Must pass every case.' or "
            f"'... Must fail ABI-X-NNN[, ...].', not {first!r}"
        )
    good = match["kind"] == "Good"
    ids = frozenset(_CASE_ID.findall(match["ids"] or ""))
    if good != (match["rule"] == "pass every case"):
        raise ValueError(f"{path.name}: a good module must pass every case, a bad one must fail some")
    return CorpusModule(path, good, ids)


def corpus() -> list[CorpusModule]:
    return [read_header(path) for path in sorted(CORPUS.glob("*.wat"))]
