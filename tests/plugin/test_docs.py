"""The documentation matches the code: every setting and fixture is in the README, with its names."""

from __future__ import annotations

import re

from wasmhub_test_support import ROOT

from pytest_wasmhub.settings import SETTINGS

README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented_with_its_three_names():
    rows = [line for line in README.splitlines() if line.startswith("| `--")]
    for setting in SETTINGS:
        row = next((r for r in rows if re.match(rf"\| `{re.escape(setting.flag)}[ `=]", r)), None)
        assert row is not None, f"{setting.flag} has no row in the README's settings table"
        assert f"`{setting.ini}`" in row and f"`{setting.env}`" in row, f"{setting.flag}: {row}"


def test_documented_settings_exist():
    flags = {s.flag for s in SETTINGS}
    for flag in re.findall(r"^\| `(--[a-z-]+)", README, re.MULTILINE):
        assert flag in flags, f"the README documents {flag}, which the plugin does not have"


def test_every_fixture_in_the_readme_exists(pytester):
    result = pytester.runpytest("--fixtures")
    names = re.findall(r"^\| `(\w+)` \| (?:session|function) \|", README, re.MULTILINE)
    assert len(names) >= 5
    for name in names:
        assert f"\n{name}" in result.stdout.str(), (
            f"the README documents fixture {name}, which does not exist"
        )


def test_every_command_in_the_readme_exists():
    from pytest_wasmhub.cli import build_parser

    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    documented = re.findall(r"^\| `wasmhub ([a-z-]+)", README, re.MULTILINE)
    assert set(documented) == commands, f"documented {sorted(documented)}, existing {sorted(commands)}"
    for command in documented:
        assert command in commands, f"the README documents `wasmhub {command}`, which does not exist"
