"""The manifest and the shard deal, without running any module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_wasmhub.scan import ManifestError, ShardError, load_manifest, parse_shard, resolve_shard
from pytest_wasmhub.scan.shard import INDEX_ENV


def _manifest(tmp_path: Path, document: object, name: str = "m.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document) if name.endswith(".json") else str(document))
    return path


def test_the_minimal_form_becomes_one_pytest_run_per_release(tmp_path: Path) -> None:
    path = _manifest(
        tmp_path,
        {
            "entries": [{"module": "filters/a.wasm", "settings": {"wasm-root-id": "x"}}],
            "envoy_versions": ["1.40.0"],
        },
    )
    manifest = load_manifest(path)
    (unit,) = manifest.units()
    assert unit.envoy_version == "1.40.0"
    assert unit.entry.module == str(tmp_path / "filters" / "a.wasm")  # relative to the manifest
    assert unit.entry.pytest_args() == ["--wasm-root-id=x"]


def test_settings_map_to_the_plugins_long_options(tmp_path: Path) -> None:
    document = {
        "envoy_versions": ["1.36.2", "1.40.0"],
        "settings": {"wasm-strict": True, "wasm-request-timeout": 5},
        "entries": [
            {
                "module": "oci://127.0.0.1:5000/f:1",
                "settings": {
                    "wasm-config": {"deny": ["/admin"]},
                    "envoy-cluster": ["auth", "rl=127.0.0.1:9000"],
                    "wasm-strict": False,
                },
                "envoy_versions": ["1.40.0"],
            }
        ],
    }
    (unit,) = load_manifest(_manifest(tmp_path, document)).units()
    assert unit.entry.module == "oci://127.0.0.1:5000/f:1"
    assert unit.entry.pytest_args() == [
        "--envoy-cluster=auth",
        "--envoy-cluster=rl=127.0.0.1:9000",
        '--wasm-config={"deny": ["/admin"]}',
        "--wasm-request-timeout=5",
    ]


def test_a_yaml_manifest_reads_like_the_json_one(tmp_path: Path) -> None:
    text = "envoy_versions: [1.40.0]\nentries:\n  - module: a.wat\n    settings: {wasm-root-id: r}\n"
    (unit,) = load_manifest(_manifest(tmp_path, text, "m.yaml")).units()
    assert unit.entry.pytest_args() == ["--wasm-root-id=r"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {
                "entries": [{"module": "a.wat", "settings": {"wasm-rootid": "x"}}],
                "envoy_versions": ["1.40.0"],
            },
            "'wasm-rootid' is not an option; valid keys: ",
        ),
        (
            {
                "entries": [{"module": "a.wat", "settings": {"wasm-report": "x.json"}}],
                "envoy_versions": ["1.40.0"],
            },
            "cannot be set per entry",
        ),
        (
            {
                "entries": [{"module": "a.wat", "settings": {"wasm-root-id": ["a", "b"]}}],
                "envoy_versions": ["1.40.0"],
            },
            "takes one value",
        ),
        (
            {
                "entries": [{"module": "a.wat", "settings": {"wasm-failure-policy": "NEVER"}}],
                "envoy_versions": ["1.40.0"],
            },
            "valid values: ",
        ),
        ({"entries": [{"module": "a.wat"}]}, "no envoy_versions"),
        ({"entries": [{"module": "a.wat"}], "envoy_versions": ["latest"]}, "envoy_versions/0"),
        ({"entries": []}, "entries"),
    ],
)
def test_a_bad_manifest_is_refused_naming_the_place(tmp_path: Path, document: object, message: str) -> None:
    with pytest.raises(ManifestError, match=r"m\.json: ") as caught:
        load_manifest(_manifest(tmp_path, document))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_shards_deal_every_unit_to_exactly_one_worker() -> None:
    units = list(range(17))
    dealt = [parse_shard(f"{i}/5").select(units) for i in range(5)]
    assert sorted(u for part in dealt for u in part) == units
    assert [len(part) for part in dealt] == [4, 4, 3, 3, 3]
    assert dealt == [parse_shard(f"{i}/5").select(units) for i in range(5)]  # deterministic


def test_the_index_comes_from_job_completion_index() -> None:
    assert str(resolve_shard(None, 3, {INDEX_ENV: "2"})) == "2/3"
    assert str(resolve_shard(None, None, {})) == "0/1"
    with pytest.raises(ShardError, match=f"{INDEX_ENV} is not set"):
        resolve_shard(None, 3, {})
    with pytest.raises(ShardError, match="from 0 to 2"):
        resolve_shard(None, 3, {INDEX_ENV: "3"})
    with pytest.raises(ShardError, match="expected I/N"):
        parse_shard("1-3")
    with pytest.raises(ShardError, match="not both"):
        resolve_shard("0/2", 2, {})
