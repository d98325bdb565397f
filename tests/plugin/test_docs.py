"""The documentation matches the code: every setting and fixture is in the README, with its names; the
README's and the docs' code blocks run; docs/cases.md is what ``wasmhub cases --markdown`` prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from wasmhub_test_support import ROOT

from pytest_wasmhub.settings import SETTINGS

sys.path.insert(0, str(ROOT / "tests" / "rust"))  # the Rust build support, for the README's Rust commands
from rust_build import seed_target_dir
from rust_modules import EXAMPLES, example, require_rust_toolchain

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


# --- the documents' code blocks run as tests ------------------------------------------------------------
#
# Every fenced block of the documents below is preceded by a marker that says what is done with it:
#   <!-- docs-test: run in the clone -->          run it in a copy of the clone's examples/
#   <!-- docs-test: run in an empty directory --> run it in an empty directory ($CLONE: that copy)
#   <!-- docs-test: excerpt PATH -->             the block is a verbatim part of the file PATH
#   <!-- docs-test: skip (REASON) -->            not run, and why
# console blocks run line by line in bash; python blocks with tests run under pytest with
# --wasm=$CLONE/examples/add_header.wat, other python blocks as scripts.

TESTED_DOCUMENTS = (
    "README.md",
    "docs/registry-ci.md",
    "docs/host-facts.md",
    "docs/sdk-rust.md",
    "docs/sdk-go.md",
    "docs/sdk-cpp.md",
    "docs/sdk-assemblyscript.md",
    "docs/registry-scale.md",
)
MARKER = re.compile(
    r"^<!-- docs-test: (?:(?P<run>run in (?:the clone|an empty directory))|excerpt (?P<excerpt>\S+)"
    r"|skip \((?P<skip>[^)]+)\)) -->$"
)
RUN_TIMEOUT = 600


@dataclass(frozen=True)
class Block:
    document: str
    line: int  # of the opening fence
    language: str
    text: str
    marker: str  # the line before the fence

    def __str__(self) -> str:
        return f"{self.document}:{self.line}"


def code_blocks(document: str) -> list[Block]:
    lines = (ROOT / document).read_text().splitlines()
    blocks, index = [], 0
    while index < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[index])
        if fence is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        marker = lines[index - 1] if index else ""
        text = "\n".join(lines[index + 1 : end]) + "\n"
        blocks.append(Block(document, index + 1, fence.group(1), text, marker))
        index = end + 1
    return blocks


ALL_BLOCKS = [block for document in TESTED_DOCUMENTS for block in code_blocks(document)]


def marked(kind: str) -> list[Block]:
    return [b for b in ALL_BLOCKS if (m := MARKER.match(b.marker)) and m.group(kind)]


def test_every_code_block_says_how_it_is_tested():
    unmarked = [
        f"{block} ({block.language or 'no language'})"
        for block in ALL_BLOCKS
        if not MARKER.match(block.marker)
    ]
    assert unmarked == [], (
        "these code blocks have no docs-test marker on the line before them (see tests/plugin/test_docs.py): "
        + ", ".join(unmarked)
    )
    assert marked("run"), "no document block runs: the markers are not read"


@pytest.mark.parametrize("block", marked("excerpt"), ids=str)
def test_excerpts_are_verbatim(block: Block):
    source = MARKER.match(block.marker).group("excerpt")  # type: ignore[union-attr]
    assert block.text in (ROOT / source).read_text(), (
        f"{block} is no longer a part of {source}: copy it again"
    )


def _clone_copy(where: Path) -> Path:
    """The clone's examples (without build output), as a user's fresh clone has them."""
    shutil.copytree(
        ROOT / "examples", where / "examples", ignore=shutil.ignore_patterns("target", "__pycache__")
    )
    return where


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("block", marked("run"), ids=str)
def test_runnable_blocks_run(block: Block, tmp_path: Path):
    clone = _clone_copy(tmp_path / "clone")
    if block.language == "console" and "cargo " in block.text:
        require_rust_toolchain()
        example("greeting_filter")  # the cached build, whose dependencies the copy reuses
        seed_target_dir(EXAMPLES, clone / "examples" / "rust" / "target")
    in_clone = "the clone" in block.marker
    cwd = clone if in_clone else tmp_path / "empty"
    cwd.mkdir(exist_ok=True)
    # the scripts a user runs find this interpreter's pytest, wasmhub and cargo first
    path = os.pathsep.join(
        [str(Path(sys.executable).parent), str(Path.home() / ".cargo" / "bin"), os.environ["PATH"]]
    )
    env = {**os.environ, "CLONE": str(clone), "PATH": path}
    env = {k: v for k, v in env.items() if not k.startswith(("WASMHUB_", "PYTEST_"))}
    if block.language == "console":
        script = "set -euo pipefail\n" + block.text
        done = _run(["bash", "-c", script], cwd, env)
    elif block.language == "python" and re.search(r"^def test_", block.text, re.MULTILINE):
        (cwd / "test_from_the_docs.py").write_text(block.text)
        module = f"--wasm={clone / 'examples' / 'add_header.wat'}"
        done = _run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                module,
                "--wasm-no-conformance",
                "test_from_the_docs.py",
            ],
            cwd,
            env,
        )
    elif block.language == "python":
        (cwd / "from_the_docs.py").write_text(block.text)
        done = _run([sys.executable, "from_the_docs.py"], cwd, env)
    else:
        pytest.fail(f"{block}: a {block.language or 'plain'} block cannot be run; mark it skip or excerpt")
    output = (done.stdout + done.stderr)[-4000:]
    assert done.returncode == 0, f"{block} as written fails (exit {done.returncode}):\n{output}"


def test_the_readme_quickstart_collects_only_the_examples_and_the_suite():
    # `pytest --wasm examples/add_header.wat` in the clone: no tests/ (they need the test extra)
    done = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--collect-only",
            "-q",
            "--wasm",
            "examples/add_header.wat",
        ],
        ROOT,
        {k: v for k, v in os.environ.items() if not k.startswith("WASMHUB_")},
    )
    nodeids = [line for line in done.stdout.splitlines() if "::" in line]
    # (the exit code is the gate's: a collect-only run passes no case)
    assert "ERROR" not in done.stdout and "error" not in done.stdout.splitlines()[-1], done.stdout[-3000:]
    assert any(n.startswith("examples/test_add_header.py::") for n in nodeids), done.stdout[-3000:]
    assert any("conformance/" in n for n in nodeids), done.stdout[-3000:]
    assert not [n for n in nodeids if n.startswith(("tests/", "examples/rust/"))], done.stdout[-3000:]


# --- links and generated pages ----------------------------------------------------------------------------

HOST_FACTS = ROOT / "docs" / "host-facts.md"
FACT_LINK = re.compile(r"host-facts\.md#([A-Za-z0-9_-]+)")


def host_fact_anchors() -> list[str]:
    return re.findall(r'^<a id="([a-z0-9-]+)"></a>$', HOST_FACTS.read_text(), re.MULTILINE)


def test_host_fact_anchors_are_unique_and_each_heads_a_section():
    anchors = host_fact_anchors()
    assert len(anchors) == len(set(anchors)) >= 10
    text = HOST_FACTS.read_text()
    for anchor in anchors:
        assert re.search(rf'^<a id="{anchor}"></a>\n## \S', text, re.MULTILINE), f"#{anchor} heads no section"


def test_every_link_to_a_host_fact_resolves():
    anchors = set(host_fact_anchors())
    sources = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    for folder in ("docs", "conformance", "pytest_wasmhub"):
        sources += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".md", ".py", ".json", ".wat")]
    broken = [
        f"{path.relative_to(ROOT)}: #{anchor}"
        for path in sources
        for anchor in FACT_LINK.findall(path.read_text(errors="replace"))
        if anchor not in anchors
    ]
    assert broken == [], f"links to sections docs/host-facts.md does not have: {broken}"


def test_relative_links_of_the_documents_resolve():
    broken = []
    for document in TESTED_DOCUMENTS:
        base = (ROOT / document).parent
        for target in re.findall(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)", (ROOT / document).read_text()):
            if "://" not in target and not (base / target).is_file():
                broken.append(f"{document}: {target}")
    assert broken == []


def test_cases_md_is_what_wasmhub_cases_generates():
    from pytest_wasmhub.commands.cases import REGENERATE

    done = _run(
        [
            sys.executable,
            "-c",
            "import sys; from pytest_wasmhub.cli import main; sys.exit(main(['cases', '--markdown']))",
        ],
        ROOT,
        dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    assert '| <a id="' in done.stdout, done.stdout[:2000]  # the catalogue has case rows
    written = (ROOT / "docs" / "cases.md").read_text()
    assert written == done.stdout, (
        f"docs/cases.md does not match the cases in conformance/: run `{REGENERATE}`"
    )
