"""Bad modules stop the run with a usage error (exit 4) that names the file and the problem."""

from __future__ import annotations

import pytest

from pytest_wasmhub.module import compile_wat

pytestmark = pytest.mark.usefixtures("clean_env")

NO_MARKER_WAT = """
(module
  (memory (export "memory") 1)
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024)))
"""


def _write_bad_modules(tmp_path, example_module):
    good = compile_wat(example_module)
    cases = {
        "missing": (tmp_path / "missing.wasm", None, "no such file"),
        "directory": (tmp_path / "adir", "dir", "is a directory, not a .wasm or .wat file"),
        "empty": (tmp_path / "empty.wasm", b"", "empty file, not a WebAssembly module"),
        "bad magic": (
            tmp_path / "text.wasm",
            b"hello world\n",
            "not a WebAssembly module (bad magic number*",
        ),
        "truncated": (tmp_path / "truncated.wasm", good[: len(good) // 2], "invalid WebAssembly module: *"),
        "invalid": (
            tmp_path / "invalid.wasm",
            good[:8] + b"\x01\x05\xff\xff",
            "invalid WebAssembly module: *",
        ),
        "bad wat": (
            tmp_path / "broken.wat",
            b"(module (func",
            "WebAssembly text does not parse: * at line 1*",
        ),
    }
    for path, content, _ in cases.values():
        if content == "dir":
            path.mkdir()
        elif content is not None:
            path.write_bytes(content)
    return cases


@pytest.mark.parametrize(
    "kind", ["missing", "directory", "empty", "bad magic", "truncated", "invalid", "bad wat"]
)
def test_bad_module_is_a_one_line_usage_error(pytester, example_module, kind):
    path, _, reason = _write_bad_modules(pytester.path, example_module)[kind]
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--wasm", str(path))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {path}: {reason}"])
    assert "Traceback" not in result.stderr.str()
    assert len([line for line in result.stderr.lines if line.strip()]) == 1


def test_module_from_the_environment_is_checked_too(pytester, monkeypatch):
    monkeypatch.setenv("WASMHUB_MODULE", str(pytester.path / "nope.wasm"))
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {pytester.path / 'nope.wasm'}: no such file"])


def test_module_envoy_refuses_fails_the_load_case_with_envoys_reason(pytester):
    module = pytester.path / "no_marker.wat"
    module.write_text(NO_MARKER_WAT)
    result = pytester.runpytest("--wasm", str(module), "-p", "no:cacheprovider", "-k", "ENVOY_LOAD or loads")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Envoy refused the module: *Missing or unknown Proxy-Wasm ABI version*"])
    # the failure report carries where the bootstrap is; nothing from the suite itself broke
    assert "INTERNALERROR" not in result.stdout.str()


def test_envoy_fixture_reports_envoys_reason_for_an_unknown_import(pytester):
    module = pytester.path / "unknown_import.wat"
    module.write_text(
        '(module (import "env" "proxy_does_not_exist" (func (param i32) (result i32)))'
        + NO_MARKER_WAT.strip()[len("(module") : -1]
        + '(func (export "proxy_abi_version_0_2_1")))'
    )
    pytester.makepyfile("def test_uses_envoy(envoy):\n    pass\n")
    result = pytester.runpytest("--wasm", str(module), "--wasm-no-conformance", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*Envoy refused the module*missing import: env.proxy_does_not_exist*",
            "bootstrap: */bootstrap.yaml",
        ]
    )
