"""The static cases judge the module for the Envoy release in use: releases before 1.39 link fewer WASI
functions, so a module importing one of those is refused there and fine on newer releases."""

from __future__ import annotations

import pytest
from abi_envoy import OLDEST_RELEASE

from pytest_wasmhub.abi import host_profile
from pytest_wasmhub.envoy.versions import install_envoy

pytestmark = pytest.mark.usefixtures("clean_env")
OLDEST_BINARY = install_envoy(OLDEST_RELEASE)  # now: pytester later points HOME, and so the cache, elsewhere

IMPORTS_FD_FILESTAT_GET = """
(module
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))
"""


def test_profile_of_an_older_release_lacks_what_it_lacks():
    newest, oldest = host_profile("envoy"), host_profile("envoy", OLDEST_RELEASE)
    key = ("wasi_snapshot_preview1", "fd_filestat_get")
    assert key in newest.imports("0.2.1") and key not in oldest.imports("0.2.1")
    assert "__main_void" in newest.start_with_initialize and "__main_void" not in oldest.start_with_initialize
    assert host_profile("envoy", "1.40.0") is newest


@pytest.mark.parametrize(("release", "outcome"), [(None, "passed"), (OLDEST_RELEASE, "failed")])
def test_import_case_follows_the_envoy_in_use(pytester, release, outcome):
    module = pytester.path / "fd_filestat_get.wat"
    module.write_text(IMPORTS_FD_FILESTAT_GET)
    binary = ["--envoy-binary", str(OLDEST_BINARY)] if release else []
    result = pytester.runpytest_subprocess(
        "--wasm",
        str(module),
        "-p",
        "no:cacheprovider",
        "-k",
        "test_wasi_imports_are_in_the_host_subset",
        *binary,
        "-rf",
    )
    result.assert_outcomes(**{outcome: 1})
    if outcome == "failed":
        result.stdout.fnmatch_lines(["*wasi_snapshot_preview1.fd_filestat_get*"])
