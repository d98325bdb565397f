"""The container backend: a run killed at its time limit leaves no Envoy container behind."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from scan_test_support import PROBES, wasmhub_process, write_manifest

docker = pytest.importorskip("docker")

from pytest_wasmhub.envoy.cleanup import MANAGED, OWNER_PID  # noqa: E402
from pytest_wasmhub.envoy.dockerhost import ContainerBackendError, connect  # noqa: E402
from pytest_wasmhub.envoy.image import build_envoy_image  # noqa: E402

TIME_LIMIT = 15  # well inside its whole run (about 30 s: each wedged case waits for its bound), and after its first container


@pytest.fixture(scope="module")
def docker_client():
    try:
        client = connect(timeout=60)
    except ContainerBackendError as exc:
        pytest.skip(f"the container backend needs a Docker engine: {exc}")
    yield client
    client.close()


def _pytest_pids(out: Path) -> set[str]:
    pids = set()
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if " -m pytest " in cmdline and str(out) in cmdline:
            pids.add(entry.name)
    return pids


def test_a_timed_out_run_leaves_no_container(docker_client, tmp_path: Path) -> None:
    image = build_envoy_image(client=docker_client).tag
    manifest = write_manifest(
        tmp_path / "m.json",
        [{"module": str(PROBES / "loop_on_request.wat"), "timeout": TIME_LIMIT}],
        ["1.40.0"],
    )
    out = tmp_path / "out"
    scanner = wasmhub_process("scan", str(manifest), "--out", str(out), "--envoy-image", image)
    seen: dict[str, str] = {}  # container id -> owning pytest pid, while the run is alive
    while scanner.poll() is None:
        pids = _pytest_pids(out)
        # sparse: no inspection per container, which fails for one removed since the listing
        for container in docker_client.containers.list(filters={"label": MANAGED}, sparse=True):
            owner = (container.attrs.get("Labels") or {}).get(OWNER_PID)
            if owner in pids:
                seen[container.id] = owner
        time.sleep(0.5)
    _, stderr = scanner.communicate()
    assert scanner.returncode == 0, stderr
    (record,) = [json.loads(p.read_text()) for p in out.glob("*/*.scan.json")]
    assert record["status"] == "timeout", record
    assert seen, "no Envoy container of the run was seen while it ran"
    left = [
        c.id
        for c in docker_client.containers.list(all=True, filters={"label": MANAGED}, sparse=True)
        if c.id in seen
    ]
    assert left == []
