"""The suite's own probe modules (``conformance/probes/*.wat``): modules that misbehave on purpose.

Each probe says in its header which cases it must fail, in a line ``;; expect-fail: ID ...`` (glob
patterns allowed); the suite's self-test holds every probe to it.
"""

from __future__ import annotations

import re
from pathlib import Path

from .resources import conformance_dir

_EXPECT = re.compile(r"^;;\s*expect-fail:(.*)$", re.MULTILINE)


def probes_dir() -> Path:
    return conformance_dir() / "probes"


def probe_path(name: str, directory: Path | None = None) -> Path:
    directory = directory or probes_dir()
    path = directory / f"{name}.wat"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.wat")))
        raise FileNotFoundError(f"no probe module {name!r}; known probes: {known}")
    return path


def expected_failures(path: Path) -> list[str]:
    """The case-id patterns a probe declares it must fail."""
    match = _EXPECT.search(path.read_text())
    if match is None:
        raise ValueError(f"{path}: no ';; expect-fail:' line")
    return match[1].split()
