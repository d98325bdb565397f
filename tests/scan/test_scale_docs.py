"""docs/registry-scale.md's manifests and Job are what the code takes: they load, and the Job shards right."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from scan_test_support import ROOT

from pytest_wasmhub.scan.manifest import manifest_from_document
from pytest_wasmhub.scan.shard import INDEX_ENV

DOC = ROOT / "docs" / "registry-scale.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", DOC.read_text(), re.MULTILINE | re.DOTALL)


def test_the_documented_manifests_load(tmp_path: Path) -> None:
    minimal = json.loads(_blocks("json")[0])
    assert len(manifest_from_document(minimal, tmp_path / "m.json").units()) == 1
    fuller = yaml.safe_load(_blocks("yaml")[0])
    manifest = manifest_from_document(fuller, tmp_path / "m.yaml")
    assert [u.envoy_version for u in manifest.units()] == ["1.39.0", "1.40.0", "1.40.0"]


def test_the_documented_job_runs_one_shard_per_completion_index() -> None:
    (job,) = [yaml.safe_load(b) for b in _blocks("yaml") if "kind: Job" in b]
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    command = spec["template"]["spec"]["containers"][0]["command"]
    assert command[:2] == ["wasmhub", "scan"]
    assert int(command[command.index("--shards") + 1]) == spec["completions"]
    assert INDEX_ENV in DOC.read_text()
