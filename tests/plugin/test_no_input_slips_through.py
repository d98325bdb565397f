"""No bad input slips through the gate: one table of bad inputs (options, ini values, environment
variables, module files, packages, registry references, report paths, marker arguments), each run as a
real ``pytest`` (or ``wasmhub inspect``) against the real Envoy, and each held to the same promises:

* the exit code is 4 (a usage error), or the documented one for the row;
* a usage error is exactly one line of reason, and it names the input;
* no traceback, no INTERNALERROR;
* no Envoy or container left behind, and nothing half-written (the row's directory holds only what it
  held before, or complete reports).

The rows run in parallel (each in its own directory); the test then checks one row per test id.
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wasmhub_test_support import EXAMPLE_MODULE, process_gone

from pytest_wasmhub.module import compile_wat, shown_name
from pytest_wasmhub.report.json_report import validation_errors
from pytest_wasmhub.settings import SETTINGS, SettingError, resolve
from pytest_wasmhub.wasm_binary import MAX_MODULE_BYTES, leb128

USAGE = 4
PARALLEL = 8  # rows at once: most stop within a second, a few wait on a hanging binary or a signal
ROW_TIMEOUT = 120.0  # the machine may be busy: a row's Envoys can take long to start
OWN_TEST = "def test_own():\n    pass\n"

# a module that logs its panic and traps in proxy_on_request_headers (ABI 0.2.1)
PANICKING_WAT = """
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "panicked at src/lib.rs:7:9: header x-my-filter missing")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32)
    (local $p i32) (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get 0))) (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $log (i32.const 5) (i32.const 16) (i32.const 54)))
    unreachable))
"""

RECORD_ENVOY = """
import os, pathlib, time

def _record(envoy):
    (pathlib.Path(os.environ["PIDS_DIR"]) / str(envoy.pid)).write_text("")
"""


@dataclass
class Row:
    id: str
    args: list[str]  # "{dir}" and "{example}" are filled in
    names: str = ""  # what the one line of reason must name (filled in too)
    expect: int = USAGE
    env: dict[str, str] = field(default_factory=dict)
    ini: str | None = None  # the row's pytest.ini [pytest] section body
    setup: Callable[[Path], None] | None = None
    command: str = "pytest"  # or "inspect"
    stdout_has: tuple[str, ...] = ()  # fnmatch patterns that must appear in stdout
    absent: tuple[str, ...] = ()  # text that must not appear in stdout or stderr
    drive: str = ""  # "interrupt": Ctrl-C once an Envoy runs; "kill": kill -9 the -n 2 controller
    writes: tuple[str, ...] = ()  # files the row may create (complete reports)
    own_process: bool = False  # run as a separate pytest (signals, long waits, whole runs in parallel)

    @property
    def in_process(self) -> bool:
        return self.command == "pytest" and not self.drive and not self.own_process


@dataclass
class Outcome:
    row: Row
    directory: Path
    returncode: int
    stdout: str
    stderr: str
    before: set[str]
    after: set[str]
    envoy_pids: list[int]
    leftover_envoys: list[int]
    envoys_gone_after_kill: bool | None = None


# --- files the rows use ------------------------------------------------------------------------------
def _example_wasm(directory: Path, name: str = "m.wasm") -> Path:
    path = directory / name
    path.write_bytes(compile_wat(EXAMPLE_MODULE))
    return path


def _sparse_module(path: Path, size: int) -> None:
    """A valid module of ``size`` bytes: the example plus a custom section of zeros (sparse on disk)."""
    base = compile_wat(EXAMPLE_MODULE)
    name = b"\x07padding"
    content = size - len(base) - 1 - 5  # section id, then a 5-byte LEB128 length
    length = bytes(((content >> (7 * i)) & 0x7F) | (0x80 if i < 4 else 0) for i in range(5))
    with open(path, "wb") as file:
        file.write(base + b"\x00" + length + name)
        file.truncate(size)


def _huge_zeros(directory: Path) -> None:
    with open(directory / "huge.wasm", "wb") as file:
        file.truncate(2 * MAX_MODULE_BYTES)


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def setup(directory: Path) -> None:
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())

    return setup


def _mkdir(name: str) -> Callable[[Path], None]:
    return lambda directory: (directory / name).mkdir(parents=True)


def _fifo(name: str) -> Callable[[Path], None]:
    return lambda directory: os.mkfifo(directory / name)


def _both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(directory: Path) -> None:
        for one in setups:
            one(directory)

    return setup


def _tar(name: str, members: dict[str, bytes]) -> Callable[[Path], None]:
    def setup(directory: Path) -> None:
        with tarfile.open(directory / name, "w") as archive:
            for member, data in members.items():
                info = tarfile.TarInfo(member)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))

    return setup


def _hanging_binary(directory: Path) -> None:
    script = directory / "hangs"
    script.write_text("#!/bin/sh\nexec sleep 600\n")
    script.chmod(0o755)


def _fake_envoy_text(directory: Path) -> None:
    script = directory / "not-envoy"
    script.write_text("#!/bin/sh\necho 'nginx version: nginx/1.25.0'\n")
    script.chmod(0o755)


def _marker_test(arguments: str) -> Callable[[Path], None]:
    return _write(
        "test_marked.py",
        f"import pytest\n\n@pytest.mark.wasm_config({arguments})\ndef test_marked(envoy):\n    pass\n",
    )


def _other_project(directory: Path) -> None:
    other = directory / "other" / "project"
    other.mkdir(parents=True)
    (other / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-k nothing_matches"\n')
    _example_wasm(other)


def _producers_with_token(directory: Path) -> None:
    """A module whose producers section names a URL holding a token."""
    base = compile_wat(EXAMPLE_MODULE)
    value = b"https://ci:ghp_secret123@github.com/acme/filter?token=tok-456"

    def text(data: bytes) -> bytes:
        return leb128(len(data)) + data

    body = (
        text(b"producers") + leb128(1) + text(b"processed-by") + leb128(1) + text(b"acme-build") + text(value)
    )
    (directory / "m.wasm").write_bytes(base + b"\x00" + leb128(len(body)) + body)


def _host_trap_test(directory: Path) -> None:
    (directory / "panics.wat").write_text(PANICKING_WAT)
    (directory / "test_host.py").write_text(
        "def test_adds_header(proxy_wasm_host):\n"
        "    result = proxy_wasm_host.http_request('GET', '/')\n"
        "    assert result.request_headers['x-my-filter'] == 'on'\n"
    )


def _hanging_envoy_test(directory: Path) -> None:
    (directory / "test_hang.py").write_text(
        RECORD_ENVOY + "\ndef test_hangs(envoy):\n    _record(envoy)\n    time.sleep(60)\n"
    )


def _two_hanging_envoy_tests(directory: Path) -> None:
    (directory / "test_hang.py").write_text(
        RECORD_ENVOY
        + "\nimport pytest\n\n@pytest.mark.parametrize('n', range(2))\n"
        + "def test_hangs(envoy, n):\n    _record(envoy)\n    time.sleep(60)\n"
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLOSED = _closed_port()
EMPTY_LAYOUT = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}'}

# --- the table -------------------------------------------------------------------------------------------
ROWS: list[Row] = [
    # the module option, its ini key and environment variable
    Row("wasm-empty", ["--wasm="], "--wasm: empty"),
    Row("wasm-empty-separate", ["--wasm", ""], "--wasm: empty"),
    Row("env-module-empty", [], "WASMHUB_MODULE: empty", env={"WASMHUB_MODULE": ""}),
    Row("env-module-blank", [], "WASMHUB_MODULE: empty", env={"WASMHUB_MODULE": "  "}),
    Row("wasm-missing", ["--wasm", "{dir}/nope.wasm"], "{dir}/nope.wasm: no such file"),
    Row("ini-module-missing", [], "nope.wasm: no such file", ini="wasmhub_module = nope.wasm"),
    Row("env-module-missing", [], "gone.wasm: no such file", env={"WASMHUB_MODULE": "gone.wasm"}),
    Row("wasm-directory", ["--wasm", "{dir}/d.wasm"], "{dir}/d.wasm: is a directory", setup=_mkdir("d.wasm")),
    Row(
        "wasm-empty-file", ["--wasm", "{dir}/e.wasm"], "{dir}/e.wasm: empty file", setup=_write("e.wasm", b"")
    ),
    Row(
        "wasm-text",
        ["--wasm", "{dir}/t.wasm"],
        "{dir}/t.wasm: not a WebAssembly",
        setup=_write("t.wasm", "hi"),
    ),
    Row(
        "wasm-truncated",
        ["--wasm", "{dir}/cut.wasm"],
        "{dir}/cut.wasm: invalid WebAssembly module",
        setup=lambda d: (d / "cut.wasm").write_bytes(compile_wat(EXAMPLE_MODULE)[:40]),
    ),
    Row(
        "wasm-version-2",
        ["--wasm", "{dir}/v2.wasm"],
        "{dir}/v2.wasm: invalid WebAssembly module",
        setup=_write("v2.wasm", b"\0asm\x02\0\0\0"),
    ),
    Row(
        "wat-broken",
        ["--wasm", "{dir}/b.wat"],
        "{dir}/b.wat: WebAssembly text",
        setup=_write("b.wat", "(module (func"),
    ),
    Row(
        "wat-binary",
        ["--wasm", "{dir}/bin.wat"],
        "{dir}/bin.wat: cannot read",
        setup=_write("bin.wat", b"\xff\xfe\0"),
    ),
    Row("wat-directory", ["--wasm", "{dir}/d.wat"], "{dir}/d.wat: is a directory", setup=_mkdir("d.wat")),
    Row("wasm-dev-zero", ["--wasm", "/dev/zero"], "/dev/zero: not a regular file"),
    Row("wasm-dev-null", ["--wasm", "/dev/null"], "/dev/null: not a regular file"),
    Row(
        "wasm-dev-zero-no-suite", ["--wasm", "/dev/zero", "--wasm-no-conformance"], "/dev/zero: not a regular"
    ),
    Row(
        "wasm-fifo",
        ["--wasm", "{dir}/pipe.wasm"],
        "{dir}/pipe.wasm: not a regular file",
        setup=_fifo("pipe.wasm"),
    ),
    Row(
        "wat-fifo",
        ["--wasm", "{dir}/pipe.wat"],
        "{dir}/pipe.wat: not a regular file",
        setup=_fifo("pipe.wat"),
    ),
    Row(
        "tar-fifo",
        ["--wasm", "{dir}/pipe.tar"],
        "{dir}/pipe.tar: not a regular file",
        setup=_fifo("pipe.tar"),
    ),
    Row(
        "wasm-huge-zeros",
        ["--wasm", "{dir}/huge.wasm"],
        "{dir}/huge.wasm: * bytes, over the 256 MiB",
        setup=_huge_zeros,
    ),
    Row(
        "wasm-valid-300-mib",
        ["--wasm", "{dir}/big.wasm"],
        "{dir}/big.wasm: 314572800 bytes, over the 256 MiB",
        setup=lambda d: _sparse_module(d / "big.wasm", 300 << 20),
    ),
    Row(
        "inspect-valid-300-mib",
        ["{dir}/big.wasm"],
        "{dir}/big.wasm: 314572800 bytes, over the 256 MiB",
        expect=2,
        command="inspect",
        setup=lambda d: _sparse_module(d / "big.wasm", 300 << 20),
    ),
    Row(
        "inspect-fifo",
        ["{dir}/p.wasm"],
        "{dir}/p.wasm: not a regular file",
        expect=2,
        command="inspect",
        setup=_fifo("p.wasm"),
    ),
    Row("inspect-dev-zero", ["/dev/zero"], "/dev/zero: not a regular file", expect=2, command="inspect"),
    # packages: layouts and archives
    Row(
        "tar-not-a-tar",
        ["--wasm", "{dir}/x.tar"],
        "{dir}/x.tar: not a tar archive (*); give an OCI layout or docker save archive",
        setup=_write("x.tar", "no"),
    ),
    Row("tar-empty", ["--wasm", "{dir}/e.tar"], "{dir}/e.tar: *", setup=_tar("e.tar", {})),
    Row("tar-no-index", ["--wasm", "{dir}/l.tar"], "{dir}/l.tar: *", setup=_tar("l.tar", EMPTY_LAYOUT)),
    Row(
        "tar-bad-index",
        ["--wasm", "{dir}/i.tar"],
        "{dir}/i.tar: *",
        setup=_tar("i.tar", {**EMPTY_LAYOUT, "index.json": b"{not json"}),
    ),
    Row(
        "tar-missing-blob",
        ["--wasm", "{dir}/b.tar"],
        "{dir}/b.tar: *",
        setup=_tar(
            "b.tar",
            {
                **EMPTY_LAYOUT,
                "index.json": json.dumps(
                    {
                        "schemaVersion": 2,
                        "manifests": [
                            {
                                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                "digest": "sha256:" + "a" * 64,
                                "size": 10,
                            }
                        ],
                    }
                ).encode(),
            },
        ),
    ),
    Row(
        "layout-no-index",
        ["--wasm", "{dir}/layout"],
        "{dir}/layout: *",
        setup=_write("layout/oci-layout", '{"imageLayoutVersion": "1.0.0"}'),
    ),
    Row(
        "layout-unknown-tag",
        ["--wasm", "{dir}/layout:nope"],
        "{dir}/layout*",
        setup=_both(
            _write("layout/oci-layout", '{"imageLayoutVersion": "1.0.0"}'),
            _write("layout/index.json", '{"schemaVersion": 2, "manifests": []}'),
        ),
    ),
    Row("dir-not-layout", ["--wasm", "{dir}/plain"], "{dir}/plain: is a directory", setup=_mkdir("plain")),
    # registry references
    Row("oci-no-repository", ["--wasm", "oci://127.0.0.1:5000"], "oci://127.0.0.1:5000: expected"),
    Row("oci-bad-host", ["--wasm", "oci://exa mple/x:1"], "oci://exa mple/x:1: *"),
    Row(
        "oci-bad-tag", ["--wasm", "oci://127.0.0.1:5000/x:bad tag!"], "oci://127.0.0.1:5000/x:bad tag!: *tag"
    ),
    Row(
        "oci-bad-digest",
        ["--wasm", "oci://127.0.0.1:5000/x@sha256:zz"],
        "oci://127.0.0.1:5000/x@sha256:zz: *digest*",
    ),
    Row(
        "oci-upper-repo",
        ["--wasm", "oci://127.0.0.1:5000/Repo:1"],
        "oci://127.0.0.1:5000/Repo:1: *repository*",
    ),
    Row("oci-refused", ["--wasm", f"oci://127.0.0.1:{CLOSED}/x:1"], f"oci://127.0.0.1:{CLOSED}/x:1*"),
    # the Envoy binary
    Row(
        "envoy-true",
        ["--wasm", "{example}", "--envoy-binary", "/bin/true"],
        "--envoy-binary: /bin/true: not an Envoy",
        own_process=True,
    ),
    Row(
        "envoy-not-envoy",
        ["--envoy-binary", "{dir}/not-envoy"],
        "{dir}/not-envoy: not an Envoy",
        setup=_fake_envoy_text,
    ),
    Row(
        "envoy-hangs",
        ["--envoy-binary", "{dir}/hangs"],
        "{dir}/hangs: not an Envoy*did not answer",
        setup=_hanging_binary,
        own_process=True,
    ),
    Row("envoy-missing", ["--envoy-binary", "{dir}/envoy"], "{dir}/envoy: no such Envoy binary"),
    Row("envoy-directory", ["--envoy-binary", "{dir}"], "{dir}: not an executable file"),
    Row(
        "envoy-not-executable",
        ["--envoy-binary", "{dir}/f"],
        "{dir}/f: not an executable",
        setup=_write("f", "x"),
    ),
    Row("envoy-empty", ["--envoy-binary="], "--envoy-binary: empty"),
    Row(
        "env-envoy-true",
        [],
        "WASMHUB_ENVOY_BINARY: /bin/true: not an Envoy",
        env={"WASMHUB_ENVOY_BINARY": "/bin/true"},
    ),
    Row(
        "ini-envoy-true",
        [],
        "wasmhub_envoy_binary: /bin/true: not an Envoy",
        ini="wasmhub_envoy_binary = /bin/true",
    ),
    # plugin configuration
    Row(
        "config-bad-file-json",
        ["--wasm-config=@{dir}/bad.json"],
        "--wasm-config: *bad.json looks like JSON",
        setup=_write("bad.json", '{"a": '),
    ),
    Row("config-bad-inline-json", ['--wasm-config={"a": '], "--wasm-config: looks like JSON"),
    Row("config-missing-file", ["--wasm-config=@{dir}/none.json"], "--wasm-config: *no such file"),
    Row("config-file-is-dir", ["--wasm-config=@{dir}"], "--wasm-config: *is not a regular file"),
    Row("config-dev-zero", ["--wasm-config=@/dev/zero"], "--wasm-config: */dev/zero is not a regular file"),
    Row("config-at-nothing", ["--wasm-config=@"], "--wasm-config: '@' names no file"),
    Row(
        "config-binary-file",
        ["--wasm-config=@{dir}/b.bin"],
        "--wasm-config: *not UTF-8",
        setup=_write("b.bin", b"\xff\xfe"),
    ),
    Row("vm-config-bad-json", ["--wasm-vm-config=[1, 2"], "--wasm-vm-config: looks like JSON"),
    Row(
        "env-config-bad-file",
        [],
        "WASMHUB_CONFIG: *looks like JSON",
        env={"WASMHUB_CONFIG": "@{dir}/bad.json"},
        setup=_write("bad.json", "["),
    ),
    Row("ini-config-bad-json", [], "wasmhub_config: looks like JSON", ini='wasmhub_config = {"x": }'),
    # the Envoy cache
    Row(
        "cache-is-a-file",
        ["--envoy-cache", "{dir}/f"],
        "--envoy-cache: '{dir}/f' is not a directory",
        setup=_write("f", ""),
    ),
    Row(
        "cache-under-a-file",
        ["--envoy-cache", "{dir}/f/sub"],
        "--envoy-cache: '{dir}/f/sub': {dir}/f is not a directory",
        setup=_write("f", ""),
    ),
    Row("cache-empty", ["--envoy-cache="], "--envoy-cache: empty"),
    Row(
        "env-cache-is-a-file",
        [],
        "WASMHUB_ENVOY_CACHE: * is not a directory",
        env={"WASMHUB_ENVOY_CACHE": "{dir}/f"},
        setup=_write("f", ""),
    ),
    # report paths
    Row(
        "report-proc",
        ["--wasm-report", "/proc/r.json"],
        "--wasm-report: '/proc/r.json': cannot write in /proc",
    ),
    Row("report-not-json", ["--wasm-report", "{dir}/r.html"], "--wasm-report: *ending in .json"),
    Row(
        "report-is-a-dir",
        ["--wasm-report", "{dir}/r.json"],
        "--wasm-report: *r.json is a directory",
        setup=_mkdir("r.json"),
    ),
    Row(
        "report-twin-is-a-dir",
        ["--wasm-report", "{dir}/r.json"],
        "--wasm-report: *r.html is a directory",
        setup=_mkdir("r.html"),
    ),
    Row(
        "report-under-a-file",
        ["--wasm-report", "{dir}/f/r.json"],
        "--wasm-report: *{dir}/f is not a directory",
        setup=_write("f", ""),
    ),
    Row(
        "report-sysfs",
        ["--wasm-report", "/sys/r.json"],
        "--wasm-report: '/sys/r.json': cannot write in /sys*",
    ),
    Row(
        "env-report-proc",
        [],
        "WASMHUB_REPORT: *cannot write in /proc",
        env={"WASMHUB_REPORT": "/proc/x/r.json"},
    ),
    Row("ini-report-txt", [], "wasmhub_report: *ending in .json", ini="wasmhub_report = r.txt"),
    # choices, numbers and lists
    Row(
        "failure-policy",
        ["--wasm-failure-policy", "FAIL_SOMETIMES"],
        "--wasm-failure-policy: 'FAIL_SOMETIMES' is not valid; valid values: *",
    ),
    Row("runtime", ["--wasm-runtime", "wamr"], "--wasm-runtime: 'wamr' is not valid; valid values: *"),
    Row(
        "log-level", ["--envoy-log-level", "loud"], "--envoy-log-level: 'loud' is not valid; valid values: *"
    ),
    Row(
        "level", ["--wasm-level", "may"], "--wasm-level: 'may' is not valid; valid values: must, should, all"
    ),
    Row("ini-level", [], "wasmhub_level: 'may' is not valid*", ini="wasmhub_level = may"),
    Row("env-level", [], "WASMHUB_LEVEL: 'MUST' is not valid*", env={"WASMHUB_LEVEL": "MUST"}),
    Row("reuse", ["--envoy-reuse", "sometimes"], "--envoy-reuse: 'sometimes' is not valid*"),
    Row("host-profile", ["--wasm-host-profile", "nginx"], "--wasm-host-profile: 'nginx' is not valid*"),
    Row("timeout-zero", ["--wasm-request-timeout", "0"], "--wasm-request-timeout: '0' must be*"),
    Row("timeout-nan", ["--wasm-request-timeout", "nan"], "--wasm-request-timeout: 'nan' must be a finite*"),
    Row("timeout-inf", ["--envoy-ready-timeout", "inf"], "--envoy-ready-timeout: 'inf' must be a finite*"),
    Row("timeout-word", ["--envoy-ready-timeout", "soon"], "--envoy-ready-timeout: 'soon' is not a number"),
    Row(
        "ini-timeout-negative",
        [],
        "wasmhub_request_timeout: '-1' must be*",
        ini="wasmhub_request_timeout = -1",
    ),
    Row("pids-zero", ["--envoy-container-pids", "0"], "--envoy-container-pids: '0' is not a whole number*"),
    Row(
        "pids-superscript",
        ["--envoy-container-pids", "²"],
        "--envoy-container-pids: '²' is not a whole number*",
    ),
    Row(
        "pids-huge",
        ["--envoy-container-pids", "99999999999"],
        "--envoy-container-pids: * is not a whole number*",
    ),
    Row("env-pids-negative", [], "WASMHUB_CONTAINER_PIDS: '-3'*", env={"WASMHUB_CONTAINER_PIDS": "-3"}),
    Row("memory-tiny", ["--envoy-container-memory", "1k"], "--envoy-container-memory: '1k' is below*"),
    Row(
        "memory-word",
        ["--envoy-container-memory", "lots"],
        "--envoy-container-memory: 'lots' is not a memory size*",
    ),
    Row("cluster-name", ["--envoy-cluster", "bad name!"], "--envoy-cluster: 'bad name!': a cluster name*"),
    Row(
        "cluster-remote",
        ["--envoy-cluster", "x=10.0.0.1:80"],
        "--envoy-cluster: 'x=10.0.0.1:80': only loopback*",
    ),
    Row(
        "cluster-port",
        ["--envoy-cluster", "x=127.0.0.1:99999"],
        "--envoy-cluster: 'x=127.0.0.1:99999': the address*",
    ),
    Row("cluster-upstream", ["--envoy-cluster", "upstream"], "--envoy-cluster: *not 'upstream'"),
    Row("env-cluster-dup", [], "WASMHUB_ENVOY_CLUSTER: *unique*", env={"WASMHUB_ENVOY_CLUSTER": "a,a"}),
    Row("version-short", ["--envoy-version", "1.40"], "--envoy-version: 1.40: not an Envoy release*"),
    Row("version-all-and", ["--envoy-version", "all,1.40.0"], "--envoy-version: 'all' cannot be combined*"),
    Row("version-empty", ["--envoy-version", ","], "--envoy-version: no Envoy version given*"),
    Row("probes-missing", ["--wasm-probes", "{dir}/nope"], "--wasm-probes: '{dir}/nope' is not a directory"),
    Row("probes-empty", ["--wasm-probes="], "--wasm-probes: '' is not a directory"),
    Row(
        "probes-incomplete",
        ["--wasm-host-check", "--wasm-probes", "{dir}/probes"],
        "--wasm-probes: '{dir}/probes' lacks probe modules the suite runs: *",
        setup=_write("probes/trap_on_request.wat", "(module)"),
    ),
    Row("env-strict-maybe", [], "WASMHUB_STRICT: 'maybe' is not a boolean*", env={"WASMHUB_STRICT": "maybe"}),
    Row(
        "ini-insecure-maybe",
        [],
        "wasmhub_insecure_registry: 'perhaps' is not a boolean*",
        ini="wasmhub_insecure_registry = perhaps",
    ),
    Row("image-empty", ["--envoy-image="], "--envoy-image: empty"),
    # marker arguments
    Row(
        "marker-policy",
        ["--wasm", "{example}", "--wasm-no-conformance"],
        "*wasm_config(failure_policy='BOGUS'): valid values: *",
        setup=_marker_test('failure_policy="BOGUS"'),
    ),
    Row(
        "marker-fail-open",
        ["--wasm", "{example}", "--wasm-no-conformance"],
        "*wasm_config(fail_open='yes'): valid values: True, False",
        setup=_marker_test('fail_open="yes"'),
    ),
    Row(
        "marker-environment",
        ["--wasm", "{example}", "--wasm-no-conformance"],
        "*wasm_config(environment={'A': 1}): must be a dict*",
        setup=_marker_test('environment={"A": 1}'),
    ),
    Row(
        "marker-configuration-dict",
        ["--wasm", "{example}", "--wasm-no-conformance"],
        "*wasm_config(configuration={'a': 1}): must be text*",
        setup=_marker_test('configuration={"a": 1}'),
    ),
    Row(
        "marker-root-id-number",
        ["--wasm", "{example}", "--wasm-no-conformance"],
        "*wasm_config(root_id=5): must be text*",
        setup=_marker_test("root_id=5"),
    ),
    Row(
        "marker-positional",
        ["--wasm", "{example}", "--wasm-no-conformance"],
        "*wasm_config: takes only keyword arguments*",
        setup=_marker_test("'x'"),
    ),
    Row(
        "marker-unknown",
        ["--wasm", "{example}", "--wasm-no-conformance"],
        "*wasm_config: unknown argument 'timeout'*",
        setup=_marker_test("timeout=3"),
    ),
    # runs that are not usage errors: their documented exit code and verdict
    Row(
        "should-only-is-partial",
        ["--wasm", "{example}", "-m", "wasm_should and wasm_abi"],
        expect=1,
        stdout_has=("verdict: PARTIAL: * MUST case(s) deselected*-> exit code 1",),
        own_process=True,
    ),
    Row(
        "level-should-is-partial",
        ["--wasm", "{example}", "--wasm-level", "should", "-m", "wasm_abi", "--wasm-report", "{dir}/r.json"],
        expect=1,
        stdout_has=("verdict: PARTIAL*-> exit code 1",),
        writes=("r.json", "r.html", "r.junit.xml"),
        own_process=True,
    ),
    Row(
        "ctrl-c-is-interrupted",
        ["--wasm", "{example}", "{dir}/test_hang.py", "--wasm-report", "{dir}/r.json"],
        expect=2,
        setup=_hanging_envoy_test,
        drive="interrupt",
        stdout_has=("verdict: INTERRUPTED: the run was interrupted*-> exit code 2",),
        absent=("NOT CONFORMANT",),
        writes=("r.json", "r.html", "r.junit.xml"),
    ),
    Row(
        "kill-9-controller",
        ["--wasm", "{example}", "--wasm-no-conformance", "-n", "2", "{dir}/test_hang.py"],
        expect=-signal.SIGKILL,
        setup=_two_hanging_envoy_tests,
        drive="kill",
    ),
    Row(
        "module-in-another-project",
        ["--wasm", "{dir}/other/project/m.wasm", "--wasm-no-conformance", "-v"],
        expect=0,
        setup=_other_project,
        stdout_has=("rootdir: {dir}", "test_own.py::test_own PASSED*"),
        absent=("other/project::",),
        own_process=True,
    ),
    Row(
        "host-trap-in-report",
        ["--wasm", "{dir}/panics.wat", "--wasm-no-conformance", "{dir}/test_host.py"],
        expect=1,
        setup=_host_trap_test,
        stdout_has=(
            "*in-process host: the module failed*",
            "callback proxy_on_request_headers (context *): trap: *unreachable*",
            "module logged (proxy_on_request_headers): [[]critical] panicked at src/lib.rs:7:9: header x-my-filter missing",
        ),
        own_process=True,
    ),
    Row(
        "inspect-redacts-producers",
        ["{dir}/m.wasm", "--all"],
        expect=0,
        command="inspect",
        setup=_producers_with_token,
        stdout_has=("*https://ci:[[]REDACTED[]]@github.com/acme/filter?token=[[]REDACTED[]]*",),
        absent=("ghp_secret123", "tok-456"),
    ),
]


def _fill(text: str, directory: Path) -> str:
    return text.replace("{dir}", str(directory)).replace("{example}", str(EXAMPLE_MODULE))


def _envoys_of(directory: Path) -> list[int]:
    """Running processes whose command line names the row's directory (its Envoys' bootstraps live there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "envoy" in command and str(directory) in command and not process_gone(int(entry.name)):
            found.append(int(entry.name))
    return found


def _listing(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if "basetemp" not in p.parts}


def _prepare(row: Row, directory: Path) -> tuple[list[str], dict[str, str], set[str]]:
    """The row's directory (its own rootdir), its argument list and environment, and what it holds."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "test_own.py").write_text(OWN_TEST)
    ini = _fill(row.ini, directory) if row.ini is not None else ""
    (directory / "pytest.ini").write_text(f"[pytest]\n{ini}\n")  # not the project's ini
    (directory / "pids").mkdir()
    if row.setup is not None:
        row.setup(directory)
    args = [_fill(a, directory) for a in row.args]
    if row.command == "pytest":
        args = ["-p", "no:cacheprovider", f"--basetemp={directory}/basetemp", *args]
    env = {k: _fill(v, directory) for k, v in row.env.items()}
    env["PIDS_DIR"] = str(directory / "pids")
    return args, env, _listing(directory)


def _finish(row: Row, directory: Path, before: set[str], code: int, out: str, err: str, **extra) -> Outcome:
    recorded = [int(p.name) for p in (directory / "pids").iterdir()]
    leftovers = [pid for pid in recorded if not process_gone(pid)] + _envoys_of(directory)
    return Outcome(
        row, directory, code, out, err, before, _listing(directory), recorded, sorted(set(leftovers)), **extra
    )


def _run_in_own_process(row: Row, directory: Path) -> Outcome:
    args, row_env, before = _prepare(row, directory)
    if row.command == "inspect":
        argv = [sys.executable, "-m", "pytest_wasmhub.cli", "inspect", *args]  # the wasmhub command
    else:
        argv = [sys.executable, "-m", "pytest", *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WASMHUB_", "PYTEST_"))}
    env.update(row_env)
    pids = directory / "pids"
    process = subprocess.Popen(
        argv, cwd=directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    gone_after_kill = None
    try:
        if row.drive:
            wanted = 2 if row.drive == "kill" else 1
            deadline = time.monotonic() + ROW_TIMEOUT
            while (
                len(list(pids.iterdir())) < wanted and time.monotonic() < deadline and process.poll() is None
            ):
                time.sleep(0.05)
            if row.drive == "interrupt":
                process.send_signal(signal.SIGINT)
            else:
                process.kill()
                recorded = [int(p.name) for p in pids.iterdir()]
                stop = time.monotonic() + 2.0  # "at once": not the 5-6 s a worker takes to notice alone
                while not all(map(process_gone, recorded)) and time.monotonic() < stop:
                    time.sleep(0.05)
                gone_after_kill = bool(recorded) and all(map(process_gone, recorded))
        stdout, stderr = process.communicate(timeout=ROW_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return _finish(
        row, directory, before, process.returncode, stdout, stderr, envoys_gone_after_kill=gone_after_kill
    )


def _run_in_process(row: Row, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """A usage-level row in this process (pytester): the same pytest, without a second start-up."""
    directory = pytester.path
    args, env, before = _prepare(row, directory)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = pytester.runpytest_inprocess(*args)
    return _finish(row, directory, before, int(result.ret), result.stdout.str(), result.stderr.str())


@pytest.fixture(scope="module")
def own_process_rows(tmp_path_factory: pytest.TempPathFactory):
    """The rows that run as their own pytest: started together at the first row, and run while the
    in-process rows are checked. Under xdist a worker does not know which rows it will get: each row
    then runs when its test does."""
    root = tmp_path_factory.mktemp("bad-inputs")
    pool = ThreadPoolExecutor(max_workers=PARALLEL)
    futures: dict[str, Future[Outcome]] = {}

    def outcome_of(row: Row) -> Outcome:
        if row.id not in futures:
            futures[row.id] = pool.submit(_run_in_own_process, row, root / row.id)
        return futures[row.id].result()

    if "PYTEST_XDIST_WORKER" not in os.environ:
        for row in ROWS:
            if not row.in_process:
                futures[row.id] = pool.submit(_run_in_own_process, row, root / row.id)
    yield outcome_of
    pool.shutdown(wait=True)
    shutil.rmtree(root, ignore_errors=True)  # the sparse modules


def test_the_table_is_large_and_its_ids_unique():
    assert len(ROWS) >= 70
    assert len({row.id for row in ROWS}) == len(ROWS)


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_bad_input_is_stopped_with_one_clear_line(request, own_process_rows, monkeypatch, row):
    if row.in_process:
        outcome = _run_in_process(row, request.getfixturevalue("pytester"), monkeypatch)
    else:
        outcome = own_process_rows(row)
    directory = outcome.directory
    shown = f"exit {outcome.returncode}\n--- stdout\n{outcome.stdout[-3000:]}\n--- stderr\n{outcome.stderr[-3000:]}"
    assert outcome.returncode == row.expect, shown
    everything = outcome.stdout + outcome.stderr
    assert "INTERNALERROR" not in everything, shown
    assert "Traceback (most recent call last)" not in everything, shown
    for text in row.absent:
        assert text not in everything, shown
    if row.expect == USAGE or (row.command == "inspect" and row.expect == 2):
        reason = [line for line in outcome.stderr.splitlines() if line.strip()]
        assert len(reason) == 1, shown
        prefix = "ERROR: " if row.command == "pytest" else "wasmhub inspect: "
        pattern = f"{prefix}*{_fill(row.names, directory)}*"
        assert fnmatch.fnmatchcase(reason[0], pattern), f"{reason[0]!r} does not match {pattern!r}"
        assert outcome.envoy_pids == [], "a usage error must come before any Envoy starts"
    lines = [line.strip() for line in outcome.stdout.splitlines()]
    for pattern in row.stdout_has:
        wanted = _fill(pattern, directory)
        assert any(fnmatch.fnmatchcase(line, wanted) for line in lines), f"no line {wanted!r}\n{shown}"
    # no Envoy left, and nothing half-written
    assert outcome.leftover_envoys == [], shown
    if row.drive == "kill":
        assert len(outcome.envoy_pids) == 2 and outcome.envoys_gone_after_kill, shown
    created = outcome.after - outcome.before - {f"pids/{pid}" for pid in outcome.envoy_pids}
    assert created <= set(row.writes), f"left behind: {sorted(created - set(row.writes))}"
    for name in row.writes:  # complete, not half-written
        if name.endswith(".json"):
            assert validation_errors(json.loads((directory / name).read_text())) == []


# --- odd values, generated -------------------------------------------------------------------------------
# what a command line, an environment variable or an ini line can carry: any text without NUL
ODD_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40)
VALUED_SETTINGS = [s for s in SETTINGS if not s.is_flag]


@settings(max_examples=400, deadline=None, database=None)
@given(
    setting=st.sampled_from([s for s in SETTINGS if s.name != "module"]),
    value=ODD_TEXT,
    source=st.sampled_from(["option", "env", "ini"]),
)
def test_odd_values_are_taken_or_refused_in_one_line_naming_the_setting(setting, value, source):
    """Every setting, from each source: a value is either taken or refused with a one-line SettingError
    that names where it came from; nothing else escapes."""
    option = {setting.name: value} if source == "option" else {}
    environ = {setting.env: value} if source == "env" else {}
    ini = {setting.ini: value} if source == "ini" else {}
    try:
        resolve(lambda name: option.get(name), lambda key: ini.get(key, ""), environ)
    except SettingError as exc:
        message = str(exc)
        where = {"option": setting.flag, "env": setting.env, "ini": setting.ini}[source]
        assert message.startswith(f"{where}: ") and len(message.splitlines()) == 1, message


@pytest.mark.usefixtures("clean_env")
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(setting=st.sampled_from(VALUED_SETTINGS), value=ODD_TEXT)
def test_odd_option_values_through_pytest_never_break_it(pytester, setting, value):
    """A whole pytest run with a generated value: a usage error of one line, or a run; never a
    traceback or INTERNALERROR, and never a pass of the gate without a case."""
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"{setting.flag}={value}", "--co", "-q")
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output and "Traceback (most recent call last)" not in output, output
    assert result.ret in (
        pytest.ExitCode.OK,
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.NO_TESTS_COLLECTED,
        pytest.ExitCode.TESTS_FAILED,
    ), output
    if result.ret == pytest.ExitCode.USAGE_ERROR:
        reason = [line for line in result.stderr.lines if line.strip()]
        # a module is named by itself (its path or reference), every other value by its option
        named = (setting.flag, shown_name(value)) if setting.name == "module" else (setting.flag,)
        assert len(reason) == 1 and reason[0].startswith(tuple(f"ERROR: {n}" for n in named)), output
