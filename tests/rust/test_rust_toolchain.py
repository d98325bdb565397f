"""Without a Rust toolchain the Rust tests skip on a developer's machine and fail under CI."""

from __future__ import annotations

import pytest

TEST = """
from rust_modules import require_rust_toolchain

def test_needs_rust():
    require_rust_toolchain()
"""


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", "failed"), ("1", "failed"), (None, "skipped"), ("false", "skipped")]
)
def test_a_missing_toolchain(pytester, monkeypatch, tmp_path, ci, outcome):
    monkeypatch.setenv("PATH", str(tmp_path))  # no cargo, no rustc
    monkeypatch.setenv("CARGO_HOME", str(tmp_path))  # and no rustup install to fall back on
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    pytester.makepyfile(TEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rsf")
    result.assert_outcomes(**{outcome: 1})
    result.stdout.fnmatch_lines(["*no Rust toolchain: cargo or rustc is not on PATH*"])
