"""Every case's reference leads somewhere a user can go: a public URL or a file of this project (with
its anchor), never the project's private research notes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_wasmhub.cases import REGISTRY
from pytest_wasmhub.resources import conformance_dir

ROOT = Path(__file__).resolve().parents[2]
NOTES = re.compile(r"shared/reference|reference note|(?<![/\w-])(crash|abi|spec|peers|style)\.md\b")
URL = re.compile(r"https?://\S+")
PROJECT_FILE = re.compile(
    r"\b((?:docs|conformance|pytest_wasmhub|envoy-configs)/[\w./-]+?)(?:#([\w-]+))?(?=[\s;,)]|$)"
)


def anchors(path: Path) -> set[str]:
    text = path.read_text()
    return set(re.findall(r'<a id="([\w-]+)"></a>', text))


def load_cases() -> list:
    """Import every module of the suite: the @case decorators fill the registry."""
    import importlib.util

    for index, path in enumerate(sorted(conformance_dir().rglob("test_*.py"))):
        spec = importlib.util.spec_from_file_location(f"wasmhub_suite_{index}_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    return sorted(REGISTRY.values(), key=lambda info: info.id)


CASES = load_cases()


@pytest.mark.parametrize("info", CASES, ids=[info.id for info in CASES])
def test_the_reference_resolves(info):
    reference = info.reference
    assert reference, f"{info.id} has no reference"
    assert not NOTES.search(reference), f"{info.id} cites notes users do not have: {reference}"
    found = URL.findall(reference)
    for path, anchor in PROJECT_FILE.findall(URL.sub("", reference)):
        target = ROOT / path
        assert target.exists(), f"{info.id}: {path} is not a file of the project"
        if anchor:
            assert anchor in anchors(target), f"{info.id}: {path} has no anchor #{anchor}"
        found.append(path)
    assert found, f"{info.id}: the reference names no public URL or project file: {reference!r}"
