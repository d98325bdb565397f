"""The pytest entry point: options, settings, the report header, markers, collection of the shared
conformance suite, and Envoy logs on failure. The work is done by the library; this stays thin."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Generator
from pathlib import Path
from types import TracebackType

import pytest

from . import discovery, heap, timing  # heap before the heavy imports below: it sets aside what is alive
from .envoy import EnvoyBinaryError, EnvoyStartError, envoy_version
from .envoy.binary import checked_envoy_binary
from .envoy.cleanup import on_parent_exit
from .fixtures import container as container_backend
from .fixtures import state
from .fixtures.bench import wasm_bench  # noqa: F401
from .fixtures.envoy import (  # noqa: F401  (fixtures are registered by being imported here)
    envoy,
    envoy_binary,
    envoy_factory,
    envoy_pool,
    envoy_runner,
    tcp_upstream,
    tcp_upstream_server,
    upstream,
    upstream_server,
    wasm_config_problem,
    wasm_kinds,
    wasm_module,
    wasmhub_envoy_defaults,
    wasmhub_settings,
)
from .fixtures.guided import guided  # noqa: F401
from .fixtures.host import proxy_wasm_host, proxy_wasm_host_factory  # noqa: F401
from .fixtures.host_report import host_failure_sections
from .fixtures.shared import wasmhub_shared_servers  # noqa: F401
from .fixtures.suite import (  # noqa: F401
    http_filter_module,
    network_filter_module,
    service_module,
    traffic,
    wasmhub_probe,
    wasmhub_probe_envoy,
    wasmhub_probe_start,
    wasmhub_probe_traffic,
    wasmhub_traffic,
    wasmhub_warm_envoys,
)
from .module import ModuleError, load_module
from .report import plugin as report_plugin
from .resources import conformance_dir
from .settings import SETTINGS, SettingError, Settings, resolve

MARKERS = (
    "wasm_config(configuration=None, vm_configuration=None, root_id=None, vm_id=None, failure_policy=None, "
    "fail_open=None, environment=None): Envoy plugin settings for this test's `envoy` fixture",
    "wasm_case(info): a conformance case (set by pytest_wasmhub.cases.case)",
    "wasm_must: a conformance case of level MUST",
    "wasm_should: a conformance case of level SHOULD",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wasmhub", "proxy-wasm modules (pytest-wasmhub)")
    for setting in SETTINGS:
        where = f"[ini {setting.ini}, env {setting.env}]"
        if setting.is_flag:
            group.addoption(
                setting.flag,
                action="store_true",
                default=None,
                dest=f"wasmhub_{setting.name}",
                help=f"{setting.help} {where}",
            )
        else:
            group.addoption(
                setting.flag,
                default=None,
                dest=f"wasmhub_{setting.name}",
                action="append" if setting.repeatable else "store",
                metavar=setting.metavar,
                help=f"{setting.help} {where}",
            )
        parser.addini(setting.ini, help=f"{setting.help} (option {setting.flag})", default="")


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    if config.option.help or config.option.version:
        return
    try:
        settings = resolve(lambda name: config.getoption(f"wasmhub_{name}"), config.getini)
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[state.SETTINGS] = settings
    try:  # proven to be an Envoy now: a wrong binary must not fail every case and blame the module
        config.stash[state.ENVOY_BINARY] = checked_envoy_binary(settings.envoy_binary)
    except EnvoyBinaryError as exc:
        raise pytest.UsageError(f"{settings.origin('envoy_binary')}: {exc}") from None
    if hasattr(config, "workerinput"):
        _follow_the_controller(config)
    container_backend.configure(config, settings)  # --envoy-image: Docker unreachable is a usage error
    config.stash[state.MODULE] = None
    if settings.host_check and not settings.no_conformance:
        _collect_conformance(config)
    if settings.module:
        workdir = Path(tempfile.mkdtemp(prefix="wasmhub-"))
        config.stash[state.MODULE_WORKDIR] = workdir
        try:
            config.stash[state.MODULE] = load_module(
                settings.module, workdir, insecure_registry=settings.insecure_registry or None
            )
        except ModuleError as exc:
            raise pytest.UsageError(str(exc)) from None
        if not settings.no_conformance:
            _collect_conformance(config)
    # reports, --wasm-level, gating and the --envoy-version matrix
    config.pluginmanager.register(report_plugin, "wasmhub-report")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    discovery.rediscover(early_config, args)  # the --wasm value is not a test path


_watching_controller = False


def _follow_the_controller(config: pytest.Config) -> None:
    """An xdist worker: when the controller is gone (``kill -9``), stop this worker's Envoys and
    containers at once and end the worker (its own Envoys are tied to it)."""
    global _watching_controller
    if _watching_controller:
        return
    _watching_controller = True

    def controller_gone() -> None:
        from .envoy.process import stop_all

        try:
            stop_all()
            container_backend.session_finish(config)
        finally:
            os._exit(1)

    on_parent_exit(controller_gone)


def _collect_conformance(config: pytest.Config) -> None:
    suite = conformance_dir()
    if not any(Path(arg.split("::")[0]).resolve() == suite for arg in config.args):
        config.args.append(str(suite))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    heap.release(config)  # after pytest's own last collection, which then skips the session's objects
    container_backend.unconfigure(config)
    workdir = config.stash.get(state.MODULE_WORKDIR, None)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(state.SETTINGS, None)
    if settings is None:
        return []
    module = config.stash.get(state.MODULE, None)
    binary = config.stash[state.ENVOY_BINARY]
    try:
        version = envoy_version(binary)
    except EnvoyBinaryError as exc:
        version = f"unknown ({exc})"
    lines = []
    if module is not None:
        lines.append(
            f"wasmhub: module {module.source} [{settings.origin('module')}]: {module.kind}, "
            f"{module.size} bytes, sha256 {module.sha256}, abi {module.abi_version or 'none'}"
        )
    else:
        lines.append("wasmhub: no module under test (give --wasm PATH)")
    if module is not None and module.package:
        lines.append(
            f"wasmhub: package {module.package.get('variant', '?')} variant, manifest digest "
            f"{module.package.get('manifest_digest', 'unknown')}"
        )
    lines.append(f"wasmhub: envoy {version} at {binary} [{settings.origin('envoy_binary')}]")
    lines.extend(container_backend.header_lines(config))
    # the plugin settings that matter for every Envoy, then whatever else was set, each with its source
    always = ("root_id", "vm_id", "config", "failure_policy", "envoy_log_level")
    shown = [
        s
        for s in SETTINGS
        if s.name in always
        or (
            s.name not in ("module", "envoy_binary", *GUIDED_SETTINGS)
            and settings.sources[s.name] != "default"
        )
    ]
    lines.append(
        "wasmhub: "
        + ", ".join(f"{s.name}={settings.values[s.name]!r} [{settings.origin(s.name)}]" for s in shown)
        + "; others at their defaults"
    )
    lines.append(guided_header(settings))
    return lines


GUIDED_SETTINGS = ("search_budget", "search_seed")  # on a line of their own


def guided_header(settings: Settings) -> str:
    """The guided search's budget and seed, always shown: the seed reproduces its findings."""
    budget = settings.search_budget
    state_ = f"budget {budget:g} s" if budget else "off (budget 0)"
    return (
        f"wasmhub: guided search {state_} [{settings.origin('search_budget')}], "
        f"seed {settings.search_seed} [{settings.origin('search_seed')}]"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = config.stash.get(state.SETTINGS, None)
    if settings is not None and settings.host_check and config.stash.get(state.MODULE, None) is None:
        # checking an Envoy build: keep the cases that run the suite's probes, not a module of the user's
        module_cases = [i for i in items if "wasm_module" in getattr(i, "fixturenames", ())]
        if module_cases:
            config.hook.pytest_deselected(items=module_cases)
            deselected = set(map(id, module_cases))
            items[:] = [i for i in items if id(i) not in deselected]
    if settings is not None and not settings.search_budget:
        # the guided search is off (budget 0): its cases are left out, like cases of another level
        off = [i for i in items if "guided" in getattr(i, "fixturenames", ())]
        if off:
            config.hook.pytest_deselected(items=off)
            items[:] = [i for i in items if i not in off]
    # a bad wasm_config marker stops the run before any test; an xdist worker cannot stop it (xdist
    # takes that for a crash), so there the marker's test fails at set-up with the same line
    if not hasattr(config, "workerinput"):
        problems = dict.fromkeys(filter(None, map(wasm_config_problem, items)))
        if problems:
            raise pytest.UsageError(next(iter(problems)))
    _in_process_cases_first(items)
    for item in items:
        marker = item.get_closest_marker("wasm_case")
        if marker is None:
            continue
        info = marker.args[0]
        item.add_marker(pytest.mark.wasm_must if info.level == "MUST" else pytest.mark.wasm_should)
        item.user_properties.extend([("wasm_case_id", info.id), ("wasm_case_level", info.level)])


def _in_process_cases_first(items: list[pytest.Item]) -> None:
    """The suite's cases that need no Envoy (static and in-process host checks) run first, in their
    order, while the Envoys the others share start in the background (``wasmhub_warm_envoys``); an
    author's own tests keep their place."""
    suite = conformance_dir()
    in_suite = [suite in Path(str(item.path)).parents for item in items]
    ours = [item for item, mine in zip(items, in_suite, strict=True) if mine and not needs_envoy(item)]
    if ours:
        first = in_suite.index(True)
        moved = set(map(id, ours))
        items[first:] = ours + [item for item in items[first:] if id(item) not in moved]


def needs_envoy(item: pytest.Item) -> bool:
    return "envoy_factory" in getattr(item, "fixturenames", ())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    if not timing.enabled():
        return (yield)
    started = time.perf_counter()
    try:
        return (yield)
    finally:  # a whole case, pytest's set-up, reports and teardown included
        timing.record("case", time.perf_counter() - started, "envoy" if needs_envoy(item) else "in_process")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, object, object]:
    report = yield
    if not getattr(report, "failed", False):
        return report
    sections = getattr(report, "sections", None)
    if sections is None:
        return report
    # the in-process host's side: a trap (callback, trap text, the module's last words) explains the
    # test's own assertion error
    sections.extend(host_failure_sections(getattr(item, "funcargs", {})))
    # Envoy's side of the story: the tail of each log and the bootstrap it ran.
    for handle in item.stash.get(state.ITEM_ENVOYS, []):
        sections.append(
            (
                f"envoy log (tail) {handle.listeners.get('wasm', '')}".strip(),
                f"bootstrap: {handle.bootstrap_path}\n{handle.log_tail()}",
            )
        )
    if call.excinfo is not None and isinstance(call.excinfo.value, EnvoyStartError):
        sections.append(("envoy start-up", call.excinfo.value.details()))
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    # Ctrl-C or SIGTERM can land on a bytecode without a line number (CPython 3.11 gives that traceback
    # entry none): pytest's report of the interrupt then crashes and the session exits 1, not 2
    drop_lineless_entries(excinfo.tb)


def drop_lineless_entries(tb: TracebackType | None) -> None:
    """Unlink the entries of a traceback that have no line number (the first never lacks one)."""
    while tb is not None:
        following = tb.tb_next
        while following is not None and following.tb_lineno is None:
            following = following.tb_next
        tb.tb_next = following
        tb = following


def pytest_collection_finish(session: pytest.Session) -> None:
    heap.settle(session.config)  # what the session holds until its end, items included
    timing.record("clock_at_collected", time.time())


def pytest_sessionstart(session: pytest.Session) -> None:
    container_backend.session_start(session.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    timing.record("clock_at_cases_done", time.time())
    # Safety net: fixtures stop their Envoys, but an interrupted session must not leave one behind.
    from .envoy.process import stop_all

    stop_all()
    container_backend.session_finish(session.config)
