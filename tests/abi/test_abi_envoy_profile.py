"""The ``envoy`` host profile, proven against the real Envoy: it links every import the profile lists, with
the profile's types, and refuses other names and types; it type-checks exactly the exports the profile says;
it allows exactly the profile's host calls during start-up; it calls HTTP callbacks in the profile's order.

Every expectation is computed from the profile data, so the data cannot drift from the binary.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import wasmtime
from abi_envoy import envoy_binaries, judge
from abi_probes import probe_module, wrong

from pytest_wasmhub.abi import ABI_VERSIONS, Signature, host_profile, load_abi
from pytest_wasmhub.abi.hosts import HostProfile
from pytest_wasmhub.envoy import EnvoySpec, ProcessRunner, envoy_version

LATEST = ABI_VERSIONS[-1]
BINARIES = envoy_binaries()


def profile_for(binary: Path) -> HostProfile:
    """The envoy profile as the release of ``binary`` has it."""
    return host_profile("envoy", envoy_version(binary))


def env_imports(profile: HostProfile, version: str) -> dict[tuple[str, str], Signature]:
    return {key: sig for key, sig in profile.imports(version).items() if key[0] == "env"}


def every_nth(items: list, n: int) -> list:
    """A deterministic sample that still walks the whole table."""
    return sorted(items)[::n]


def refused_for(results: dict, expected: dict[str, str]) -> list[str]:
    """Probes that loaded, or were refused for another reason than the one expected."""
    wrong_verdicts = []
    for key, fragment in expected.items():
        result = results[key]
        if result.loaded or fragment not in result.reason:
            verdict = "loaded" if result.loaded else f"refused: {result.reason}"
            wrong_verdicts.append(f"{key}: expected a refusal mentioning {fragment!r}, got {verdict}")
    return wrong_verdicts


@pytest.mark.parametrize("binary", BINARIES)
def test_envoy_links_every_import_of_the_profile(binary: Path, tmp_path: Path):
    profile = profile_for(binary)
    modules = {f"env-{v}": probe_module(v, imports=env_imports(profile, v)) for v in profile.abi_versions}
    for wasi_module in profile.wasi_modules:
        table = {key: sig for key, sig in profile.imports(LATEST).items() if key[0] == wasi_module}
        modules[wasi_module] = probe_module(LATEST, imports=table)
    results = judge(modules, binary, tmp_path)
    refused = [f"{key}: {r.reason}" for key, r in results.items() if not r.loaded]
    assert not refused, "Envoy refused imports the envoy profile lists:\n" + "\n".join(refused)


@pytest.mark.parametrize("binary", BINARIES)
def test_envoy_refuses_imports_outside_the_profile(binary: Path, tmp_path: Path):
    profile = profile_for(binary)
    modules, expected = {}, {}

    def probe(key: str, version: str, module: str, name: str, signature: Signature, fragment: str) -> None:
        modules[key] = probe_module(version, imports={(module, name): signature})
        expected[key] = f"{fragment}: {module}.{name}"

    every_env_name = {key for v in ABI_VERSIONS for key in env_imports(profile, v)}
    for version in profile.abi_versions:
        # names the profile gives to other ABI versions only
        for module, name in sorted(every_env_name - set(env_imports(profile, version))):
            signature = next(
                profile.imports(v)[(module, name)]
                for v in ABI_VERSIONS
                if (module, name) in profile.imports(v)
            )
            probe(f"{version}-gated-{name}", version, module, name, signature, "missing import")
    for module, name in every_nth(list(env_imports(profile, LATEST)), 6):
        probe(
            f"type-{name}",
            LATEST,
            module,
            name,
            wrong(env_imports(profile, LATEST)[(module, name)]),
            "type mismatch",
        )
    wasi = {key: sig for key, sig in profile.imports(LATEST).items() if key[0] != "env"}
    for module, name in every_nth(list(wasi), 15):
        probe(f"type-{module}-{name}", LATEST, module, name, wrong(wasi[(module, name)]), "type mismatch")
    for module, name in (
        ("wasi_snapshot_preview1", "proc_raise"),
        ("wasi_unstable", "sock_open"),
        ("env", "proxy_dispatch_http_call"),
        ("nginx", "proxy_log"),
    ):
        probe(
            f"missing-{module}-{name}", LATEST, module, name, Signature(("i32",), ("i32",)), "missing import"
        )
    results = judge(modules, binary, tmp_path)
    problems = refused_for(results, expected)
    assert not problems, f"{len(problems)} of {len(expected)} probes:\n" + "\n".join(problems)


@pytest.mark.parametrize("binary", BINARIES)
def test_envoy_type_checks_the_exports_the_profile_lists(binary: Path, tmp_path: Path):
    profile = profile_for(binary)
    modules, expected = {}, {}
    for version in profile.abi_versions:
        exports = dict(profile.callbacks(version))
        exports.update(profile.start_up_signatures(version))
        exports.pop("_start")  # _start is not called when _initialize is exported
        exports["malloc"] = load_abi(version).callbacks["malloc"]
        modules[f"all-{version}"] = probe_module(version, exports=exports)
    for name, signature in profile.callbacks(LATEST).items():
        modules[f"wrong-{name}"] = probe_module(LATEST, exports={name: wrong(signature)})
        expected[f"wrong-{name}"] = f"Bad function signature for: {name}"
    for name in ("proxy_on_request_headers", "proxy_on_response_headers"):  # their 0.1.0 type differs
        modules[f"wrong-0.1.0-{name}"] = probe_module(
            "0.1.0", exports={name: profile.callbacks(LATEST)[name]}
        )
        expected[f"wrong-0.1.0-{name}"] = f"Bad function signature for: {name}"
    start_up = profile.start_up_signatures(LATEST)
    initialize = {"_initialize": start_up["_initialize"]}
    for name in profile.start_with_initialize:
        modules[f"wrong-start-{name}"] = probe_module(
            LATEST, exports={**initialize, name: wrong(start_up[name])}
        )
        expected[f"wrong-start-{name}"] = f"Bad function signature for: {name}"
    for name in profile.start_without_initialize:
        modules[f"wrong-start-{name}"] = probe_module(LATEST, exports={name: wrong(start_up[name])})
        expected[f"wrong-start-{name}"] = f"Bad function signature for: {name}"
    first, *later = profile.allocator_lookup
    modules["wrong-allocator"] = probe_module(LATEST, exports={first: wrong(Signature(("i32",), ("i32",)))})
    expected["wrong-allocator"] = f"Bad function signature for: {first}"
    # what the profile says Envoy does not check must load
    unchecked = {
        f"unchecked-{name}": probe_module(LATEST, exports={**initialize, name: wrong(start_up[name])})
        for name in profile.start_without_initialize
        if name not in profile.start_with_initialize
    }
    unchecked.update(
        {
            f"unchecked-{name}": probe_module(LATEST, exports={name: wrong(start_up[name])})
            for name in profile.start_with_initialize
            if name != "_initialize"
        }
    )
    unchecked.update(
        {
            f"unchecked-{name}": probe_module(
                LATEST,
                exports={first: Signature(("i32",), ("i32",)), name: wrong(Signature(("i32",), ("i32",)))},
            )
            for name in later
        }
    )
    modules.update(unchecked)
    results = judge(modules, binary, tmp_path)
    problems = refused_for(results, expected)
    problems += [
        f"{key}: refused: {results[key].reason}"
        for key in modules
        if key not in expected and not results[key].loaded
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("binary", BINARIES)
def test_envoy_allows_exactly_the_profile_start_up_calls(binary: Path, tmp_path: Path):
    profile = profile_for(binary)
    imports = profile.imports(LATEST)
    allowed = tuple(sorted(profile.start_up_allowed))
    modules = {
        "allowed": probe_module(LATEST, imports={k: imports[k] for k in allowed}, initialize_calls=allowed)
    }
    expected = {}
    for key in every_nth([k for k in imports if k not in profile.start_up_allowed], 12):
        name = f"restricted-{key[0]}-{key[1]}"
        modules[name] = probe_module(LATEST, imports={key: imports[key]}, initialize_calls=(key,))
        expected[name] = "restricted_callback"
    results = judge(modules, binary, tmp_path)
    assert results["allowed"].loaded, (
        f"a start-up call the profile allows was refused: {results['allowed'].reason}"
    )
    problems = refused_for(results, expected)
    assert not problems, "\n".join(problems)


class _Upstream(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b"upstream body\n"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("binary", BINARIES)
def test_envoy_calls_http_callbacks_in_the_profile_order(binary: Path, tmp_path: Path, upstream_port: int):
    profile = profile_for(binary)
    abi = load_abi(LATEST)
    exports = {name: abi.callbacks[name] for name in profile.http_lifecycle}
    path = tmp_path / "lifecycle.wasm"
    path.write_bytes(wasmtime.wat2wasm(probe_module(LATEST, exports=exports, log_callbacks=True)))
    spec = EnvoySpec.for_module(path, upstream=("127.0.0.1", upstream_port))
    with ProcessRunner(binary).start(spec, tmp_path) as envoy:
        before = len(envoy.logs())
        response = httpx.post(envoy.url + "/lifecycle", content=b"request body", timeout=10)
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + 5
        while "proxy_on_delete" not in envoy.logs()[before:] and time.monotonic() < deadline:
            time.sleep(0.02)
        log = envoy.logs()[before:]
    observed = [
        line.rsplit(": ", 1)[1] for line in log.splitlines() if "wasm log" in line and ": proxy_on_" in line
    ]
    observed = [name for i, name in enumerate(observed) if i == 0 or observed[i - 1] != name]  # body chunks
    expected = [name for name in profile.http_lifecycle if name in observed]
    assert observed == expected, (
        f"Envoy called {observed}; the profile's order is {list(profile.http_lifecycle)}"
    )
    for name in (
        "proxy_on_context_create",
        "proxy_on_request_headers",
        "proxy_on_request_body",
        "proxy_on_response_headers",
        "proxy_on_response_body",
        "proxy_on_log",
        "proxy_on_done",
        "proxy_on_delete",
    ):
        assert name in observed, f"{name} was not called for a POST with a body: {observed}"
