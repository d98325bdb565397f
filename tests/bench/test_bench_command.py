"""``wasmhub bench`` end to end: real Envoys, real h2load, small bounds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from bench_test_support import SLOW_MODULE, children, command_name
from wasmhub_test_support import EXAMPLE_MODULE, ROOT, process_gone

from pytest_wasmhub.cli import main

SMALL = ["--rounds", "2", "--duration", "0.5", "--quiet"]


def _bench(capsys, *args):
    code = main(["bench", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_slow_module_costs_clearly_more_than_the_example(capsys, tmp_path):
    example_json, slow_json = tmp_path / "example.json", tmp_path / "slow.json"
    code, example_out, err = _bench(capsys, str(EXAMPLE_MODULE), *SMALL, "--json", str(example_json))
    assert code == 0, err
    code, slow_out, err = _bench(
        capsys, str(SLOW_MODULE), *SMALL, "--protocol", "h1", "--json", str(slow_json)
    )
    assert code == 0, err

    example, slow = json.loads(example_json.read_text()), json.loads(slow_json.read_text())
    assert set(example["protocols"]) == {"h1", "h2"} and set(slow["protocols"]) == {"h1"}
    for result in (example, slow):
        for protocol in result["protocols"].values():
            for side in ("with_module", "without_module"):
                measured = protocol[side]
                assert len(measured["runs"]) == 2, "2 measured rounds; the warm-up is not kept"
                assert measured["requests_per_second"] > 0 and measured["failed"] == 0
                assert 0 < measured["p50_us"] <= measured["p90_us"] <= measured["p99_us"]
            ratios = protocol["rps_ratio_min"], protocol["rps_ratio"], protocol["rps_ratio_max"]
            assert ratios == tuple(sorted(ratios))
    example_h1, slow_h1 = example["protocols"]["h1"], slow["protocols"]["h1"]
    # measured here: the slow module keeps ~8% of the throughput, the example ~90%
    assert slow_h1["rps_ratio"] < 0.5 * example_h1["rps_ratio"]
    assert slow_h1["with_module"]["p50_us"] > 2 * slow_h1["without_module"]["p50_us"]
    assert slow_h1["cost_us_per_request"] > 300

    for text in (example_out, slow_out):
        assert "without module" in text and "with module" in text and "difference" in text
        assert "p50" in text and "p90" in text and "p99" in text
    assert "HTTP/1.1" in example_out and "HTTP/2" in example_out
    assert f"{slow_h1['rps_ratio']:.1%} of without" in slow_out


def test_a_configuration_the_module_refuses_fails_with_envoys_reason(capsys):
    code, out, err = _bench(capsys, str(SLOW_MODULE), *SMALL, "--config", "lots")
    assert code == 1 and out == ""
    assert err.startswith("wasmhub bench: error: Envoy with the module did not start:")
    assert "must be a number of passes" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rounds", "0"], "--rounds: 0 is out of range (1 to 100)"),
        (["--body-size", "-1"], "--body-size: -1 is out of range (0 to 16777216)"),
        (["--requests", "2"], "--requests: 2 is fewer than the 4 connections"),
        (["--threads", "8"], "--threads: 8 is more than the 4 connections"),
        (
            ["--json", "/nonexistent/dir/out.json"],
            "--json: /nonexistent/dir/out.json: its folder does not exist",
        ),
        (["--envoy-binary", "/nonexistent/envoy"], "/nonexistent/envoy: no such Envoy binary"),
    ],
)
def test_bad_input_is_a_one_line_error(capsys, args, message):
    code, out, err = _bench(capsys, str(EXAMPLE_MODULE), *args)
    assert (code, out) == (2, "")
    assert err == f"wasmhub bench: error: {message}\n"


def test_a_missing_module_is_a_one_line_error(capsys, tmp_path):
    code, _, err = _bench(capsys, str(tmp_path / "nope.wasm"))
    assert code == 2 and err == f"wasmhub bench: error: {tmp_path / 'nope.wasm'}: no such file\n"


def test_without_h2load_the_error_names_the_package(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = _bench(capsys, str(EXAMPLE_MODULE))
    assert code == 2
    assert (
        err
        == "wasmhub bench: error: h2load is not on PATH; install it with: apt-get install nghttp2-client\n"
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_an_interrupted_bench_leaves_no_process_behind(stop):
    command = [sys.executable, "-m", "pytest_wasmhub.cli", "bench", str(EXAMPLE_MODULE), "--duration", "60"]
    bench = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        started: list[int] = []
        while time.monotonic() < deadline and bench.poll() is None:
            started = children(bench.pid)
            if "h2load" in map(command_name, started):
                break
            time.sleep(0.05)
        names = sorted(command_name(pid) for pid in started)
        assert names == ["envoy", "envoy", "h2load"], f"expected two Envoys and h2load running, got {names}"
        os.kill(bench.pid, stop)  # the bench process only, not its group: it must clean up by itself
        bench.communicate(timeout=20)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(process_gone(pid) for pid in started):
            time.sleep(0.05)
        assert all(process_gone(pid) for pid in started)
        assert bench.returncode == (130 if stop == signal.SIGINT else -signal.SIGKILL)
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.communicate()


def test_a_module_that_fails_every_request_is_reported_with_envoys_words(capsys):
    trapping = ROOT / "conformance" / "probes" / "trap_on_request.wat"
    code, out, err = _bench(capsys, str(trapping), *SMALL, "--protocol", "h1")
    assert code == 1 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("wasmhub bench: error: no request succeeded through the listener with the module")
    assert "'5xx'" in err and "Uncaught RuntimeError: unreachable" in err
