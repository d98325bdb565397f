"""Options, their ini and environment twins, precedence, and the report header."""

from __future__ import annotations

import pytest

from pytest_wasmhub.settings import SETTINGS, SettingError, resolve

pytestmark = pytest.mark.usefixtures("clean_env")

SHOW_ROOT_ID = """
def test_show(wasmhub_settings):
    print("ROOT_ID=" + wasmhub_settings.root_id + " FROM=" + wasmhub_settings.sources["root_id"])
"""


@pytest.mark.parametrize(
    ("option", "env", "ini", "expected"),
    [
        ("from-option", "from-env", "from-ini", "ROOT_ID=from-option FROM=option"),
        (None, "from-env", "from-ini", "ROOT_ID=from-env FROM=env"),
        (None, None, "from-ini", "ROOT_ID=from-ini FROM=ini"),
        (None, None, None, "ROOT_ID= FROM=default"),
    ],
)
def test_precedence_is_option_then_env_then_ini(pytester, monkeypatch, option, env, ini, expected):
    if ini:
        pytester.makeini(f"[pytest]\nwasmhub_root_id = {ini}\n")
    if env:
        monkeypatch.setenv("WASMHUB_ROOT_ID", env)
    pytester.makepyfile(SHOW_ROOT_ID)
    args = ["-s", "-p", "no:cacheprovider"] + (["--wasm-root-id", option] if option else [])
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*{expected}*"])


def test_header_shows_module_envoy_and_sources(pytester, example_module, monkeypatch):
    monkeypatch.setenv("WASMHUB_VM_ID", "vm-from-env")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(
        "--wasm", str(example_module), "--wasm-no-conformance", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(
        [
            f"wasmhub: module {example_module} [[]--wasm[]]: wat, * bytes, sha256 *, abi 0.2.1",
            "wasmhub: envoy 1.*.* at * [[]default*",
            "*root_id='' [[]default[]], vm_id='vm-from-env' [[]WASMHUB_VM_ID[]]*",
            "wasmhub: guided search budget 0.4 s [[]default[]], seed 0 [[]default[]]",
        ]
    )


def test_header_shows_the_guided_search_seed_from_ini_and_env(pytester, example_module, monkeypatch):
    monkeypatch.setenv("WASMHUB_SEARCH_SEED", "1234")
    pytester.makeini("[pytest]\nwasmhub_search_budget = 0\n")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(
        "--wasm", str(example_module), "--wasm-no-conformance", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(
        [
            "wasmhub: guided search off (budget 0) [[]ini wasmhub_search_budget[]], seed 1234 [[]WASMHUB_SEARCH_SEED[]]"
        ]
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--envoy-log-level", "loud"],
            {},
            "--envoy-log-level: 'loud' is not valid; valid values: trace, debug*",
        ),
        ([], {"WASMHUB_ENVOY_LOG_LEVEL": "loud"}, "WASMHUB_ENVOY_LOG_LEVEL: 'loud' is not valid*"),
        (
            ["--wasm-failure-policy", "PANIC"],
            {},
            "*'PANIC' is not valid; valid values: UNSPECIFIED, FAIL_CLOSED*",
        ),
        (["--envoy-ready-timeout", "soon"], {}, "--envoy-ready-timeout: 'soon' is not a number"),
        # pytest reads a bare "@name" argument as an argument file, so the file form is --wasm-config=@name
        (
            ["--wasm-config=@/no/such/config.json"],
            {},
            "--wasm-config: '@/no/such/config.json': no such file*",
        ),
        (["--wasm-config", "{broken"], {}, "--wasm-config: looks like JSON but does not parse*"),
        (["--envoy-binary", "/no/such/envoy"], {}, "--envoy-binary: /no/such/envoy: no such Envoy binary"),
        (
            ["--wasm-search-budget", "-1"],
            {},
            "--wasm-search-budget: '-1' must be from 0 (off) to 3600 seconds",
        ),
        (
            [],
            {"WASMHUB_SEARCH_BUDGET": "a while"},
            "WASMHUB_SEARCH_BUDGET: 'a while' is not a number of seconds*",
        ),
        (["--wasm-search-seed", "x7"], {}, "--wasm-search-seed: 'x7' is not a whole number from 0 to *"),
    ],
)
def test_bad_values_are_usage_errors(pytester, monkeypatch, args, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_bad_ini_value_names_the_ini_key(pytester):
    pytester.makeini("[pytest]\nwasmhub_envoy_log_level = chatty\n")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: wasmhub_envoy_log_level: 'chatty' is not valid*"])


def test_config_file_is_read(tmp_path):
    config = tmp_path / "plugin.json"
    config.write_text('{"deny": ["/admin"]}')
    settings = resolve(lambda name: f"@{config}" if name == "config" else None, lambda name: "", {})
    assert settings.config == '{"deny": ["/admin"]}'
    assert settings.origin("config") == "--wasm-config"


def test_every_setting_has_all_three_twins():
    for setting in SETTINGS:
        assert setting.flag.startswith("--")
        assert setting.ini == f"wasmhub_{setting.name}"
        assert setting.env == f"WASMHUB_{setting.name.upper()}"
    with pytest.raises(SettingError):
        resolve(lambda name: None, lambda name: "", {"WASMHUB_NO_CONFORMANCE": "maybe"})


def test_fixtures_have_docstrings(pytester):
    result = pytester.runpytest("--fixtures")
    for name in ("wasm_module", "upstream", "envoy", "envoy_factory", "envoy_binary", "wasmhub_settings"):
        result.stdout.fnmatch_lines([f"{name}*", "    ?*"])
