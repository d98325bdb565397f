"""``wasmhub scan`` and ``wasmhub merge`` on real modules, real Envoy releases, as separate processes."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import jsonschema
from scan_test_support import (
    ENTRIES,
    EXAMPLES,
    RELEASES,
    Scan,
    processes_mentioning,
    report_of,
    wasmhub,
    wasmhub_process,
    write_manifest,
)

from pytest_wasmhub import __version__
from pytest_wasmhub.scan.merge import validation_errors
from pytest_wasmhub.scan.records import SCHEMA_PATH as RECORD_SCHEMA
from pytest_wasmhub.scan.shard import INDEX_ENV


def _merge(tmp_path: Path, name: str, *dirs: Path, baseline: list[Path] = ()) -> dict:
    summary = tmp_path / f"{name}.json"
    extra = [arg for d in baseline for arg in ("--baseline", str(d))]
    result = wasmhub("merge", *map(str, dirs), "--out", str(summary), *extra)
    assert result.returncode == 0, result.stderr + result.stdout
    document = json.loads(summary.read_text())
    assert validation_errors(document) == []
    return document


def _statuses(summary: dict) -> dict[tuple[str, str], str]:
    return {(row["name"], v): cell["status"] for row in summary["rows"] for v, cell in row["cells"].items()}


def test_a_scan_writes_one_report_per_module_and_release_named_by_digest(full_scan: Scan) -> None:
    records = full_scan.records()
    assert len(records) == len(ENTRIES) * len(RELEASES)
    record_schema = jsonschema.Draft202012Validator(json.loads(RECORD_SCHEMA.read_text()))
    assert [e.message for r in records.values() for e in record_schema.iter_errors(r)] == []
    seen = set()
    for path, record in records.items():
        assert record["status"] == "done", record["message"]
        report = report_of(full_scan.out, path, record)
        # the directory is the module's digest, the file the release: and the report agrees
        assert Path(path).parts[0] == f"sha256-{report['module']['sha256']}"
        assert Path(path).name.startswith(f"envoy-{record['envoy_version']}-")
        assert [e["version"] for e in report["envoy"]] == [record["envoy_version"]]
        assert report["suite"]["version"] == __version__
        assert record["message"] == report["verdict"]["status"]
        seen.add((record["entry"]["name"], record["envoy_version"]))
    assert seen == {(e["name"], v) for e in ENTRIES for v in RELEASES}


def test_the_merged_matrix_holds_every_verdict_and_must_failure(full_scan: Scan, tmp_path: Path) -> None:
    summary = _merge(tmp_path, "summary", full_scan.out)
    assert summary["envoy_versions"] == RELEASES
    assert {row["name"] for row in summary["rows"]} == {e["name"] for e in ENTRIES}
    for path, record in full_scan.records().items():
        report = report_of(full_scan.out, path, record)
        (row,) = [r for r in summary["rows"] if r["name"] == record["entry"]["name"]]
        cell = row["cells"][record["envoy_version"]]
        assert cell["status"] == report["verdict"]["status"]
        unmet_must = {
            r["case"]["id"]
            for r in report["results"]
            if r["case"] and r["case"]["level"] == "MUST" and r["outcome"] not in ("pass", "not_applicable")
        }
        assert set(cell["must_failures"]) == unmet_must
    # the modules differ in verdict, so the matrix is not trivially uniform
    assert len(set(_statuses(summary).values())) > 1
    page = (tmp_path / "summary.html").read_text()
    assert all(e["name"] in page for e in ENTRIES) and "Envoy 1.36.2" in page


def test_a_second_scan_of_the_same_catalogue_runs_nothing(full_scan: Scan) -> None:
    before = {p: (full_scan.out / p).stat().st_mtime_ns for p in full_scan.records()}
    result = wasmhub("scan", str(full_scan.manifest), "--out", str(full_scan.out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    runs = len(ENTRIES) * len(RELEASES)
    assert f"{runs} runs, {runs} already done, nothing run" in result.stdout
    assert before == {p: (full_scan.out / p).stat().st_mtime_ns for p in full_scan.records()}
    assert "already done, skipped" in result.stderr  # plain lines: stderr is not a terminal


def test_three_shards_in_separate_processes_give_the_unsharded_result(
    full_scan: Scan, tmp_path: Path
) -> None:
    outs = [tmp_path / f"shard-{i}" for i in range(3)]
    workers = [
        wasmhub_process("scan", str(full_scan.manifest), "--out", str(outs[0]), "--shard", "0/3"),
        wasmhub_process("scan", str(full_scan.manifest), "--out", str(outs[1]), "--shard", "1/3"),
        # the Kubernetes Indexed Job way: the index from the environment
        wasmhub_process(
            "scan", str(full_scan.manifest), "--out", str(outs[2]), "--shards", "3", env={INDEX_ENV: "2"}
        ),
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
    parts = [set(Scan(full_scan.manifest, out, None).records()) for out in outs]  # type: ignore[arg-type]
    assert all(parts) and not (parts[0] & parts[1] or parts[1] & parts[2] or parts[0] & parts[2])
    assert parts[0] | parts[1] | parts[2] == set(full_scan.records())
    sharded = _merge(tmp_path, "sharded", *outs)
    whole = _merge(tmp_path, "whole", full_scan.out)
    assert _statuses(sharded) == _statuses(whole)


def test_a_scan_killed_halfway_redoes_only_the_rest_when_restarted(tmp_path: Path) -> None:
    entries = [ENTRIES[0], ENTRIES[2]]
    manifest = write_manifest(tmp_path / "m.json", entries, ["1.40.0"])
    out = tmp_path / "out"
    scanner = wasmhub_process("scan", str(manifest), "--out", str(out), "--jobs", "1")
    deadline = time.monotonic() + 120
    while not list(out.glob("*/*.scan.json")) and time.monotonic() < deadline and scanner.poll() is None:
        time.sleep(0.1)
    scanner.send_signal(signal.SIGKILL)  # a pod evicted mid-run: no chance to clean up
    scanner.communicate(timeout=30)
    (first,) = out.glob("*/*.scan.json")
    kept = first.read_text()
    # the run in flight died with the scan (and its Envoy with it): nothing is left running
    deadline = time.monotonic() + 10
    while processes_mentioning(str(out)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(str(out)) == []

    result = wasmhub("scan", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "2 runs, 1 already done, 1 done" in result.stdout
    assert first.read_text() == kept
    records = [json.loads(p.read_text()) for p in out.glob("*/*.scan.json")]
    assert len(records) == 2 and not list(out.glob("*/.run-*"))  # the killed run's directory is gone
    assert sorted(r["entry"]["name"] for r in records) == sorted(e["name"] for e in entries)
    assert all(r["status"] == "done" for r in records)


def test_baseline_lists_exactly_the_modules_whose_verdict_changed(full_scan: Scan, tmp_path: Path) -> None:
    # the candidate: the same modules on 1.40.0, SHOULD cases held to the MUST rule, and one entry given
    # a time limit it cannot meet (a verdict that changes whatever the modules' own results are)
    entries = [dict(e) for e in ENTRIES]
    entries[2]["timeout"] = 2
    manifest = write_manifest(tmp_path / "m.json", entries, ["1.40.0"], settings={"wasm-strict": True})
    out = tmp_path / "candidate"
    result = wasmhub("scan", str(manifest), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert processes_mentioning(str(out)) == []  # the timed-out run's Envoy went with it

    def verdicts(scan_dir: Path) -> dict[str, str]:
        found = {}
        for path in scan_dir.glob("*/*.scan.json"):
            record = json.loads(path.read_text())
            if record["envoy_version"] == "1.40.0":
                status = record["status"]
                if status == "done":
                    status = json.loads((path.parent / record["report"]).read_text())["verdict"]["status"]
                found[record["entry"]["name"]] = status
        return found

    before, after = verdicts(full_scan.out), verdicts(out)
    assert after["slow_headers"] == "timeout"
    changed = {name for name in after if after[name] != before[name]}
    assert "slow_headers" in changed

    summary = _merge(tmp_path, "diff", out, baseline=[full_scan.out])
    changes = summary["comparison"]["changes"]
    assert summary["comparison"]["pairs"] == [["1.40.0", "1.40.0"]]
    assert {c["name"] for c in changes} == changed
    assert {r["name"] for r in summary["rows"]} == changed  # only what changed
    kinds = [c["kind"] for c in changes]
    assert kinds == sorted(kinds, key=["regression", "fixed", "changed", "added", "removed"].index)
    for change in changes:
        assert (change["baseline"], change["candidate"]) == (before[change["name"]], after[change["name"]])
    assert "regression" in (tmp_path / "diff.html").read_text()

    gated = wasmhub(
        "merge",
        str(out),
        "--out",
        str(tmp_path / "g.json"),
        "--baseline",
        str(full_scan.out),
        "--fail-on-regression",
    )
    assert gated.returncode == 1 and gated.stdout.startswith("regression ")


def test_a_module_that_cannot_be_read_is_recorded_not_fatal(tmp_path: Path) -> None:
    entries = [{"module": str(tmp_path / "missing.wat"), "name": "missing"}]
    manifest = write_manifest(tmp_path / "m.json", entries, ["1.40.0"])
    result = wasmhub("scan", str(manifest), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*/*.scan.json")]
    assert record["status"] == "unusable" and "missing.wat: no such file" in record["message"]
    again = wasmhub("scan", str(manifest), "--out", str(tmp_path / "out"))
    assert "1 runs, 1 already done, nothing run" in again.stdout  # a result, like a verdict
    retried = wasmhub("scan", str(manifest), "--out", str(tmp_path / "out"), "--retry-errors")
    assert "1 runs, 0 already done, 1 unusable" in retried.stdout
    bad = wasmhub("scan", str(EXAMPLES / "add_header.wat"), "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and bad.stderr.startswith("wasmhub scan: ") and bad.stderr.count("\n") == 1
