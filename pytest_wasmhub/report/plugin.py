"""The pytest side of reports, levels and gating, and the Envoy version matrix.

* collection: ``--wasm-level`` deselects; each case's reports carry its area, title and spec and the
  Envoy version it ran on (``user_properties`` travel from xdist workers to the controller);
  ``--collect-only`` lists the cases;
* each test's phase reports become one result (``pytest_runtest_logreport`` runs on the controller
  under xdist, so the reports, the summary and the exit code are made once, there);
* at the end: the verdict sets the exit status, the reports are written, the summary is shown.

``pytest_wasmhub.plugin`` registers this module in its ``pytest_configure``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import tempfile
import time
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .. import __version__
from ..cases import AREAS, MUST, SHOULD, case_of
from ..envoy.threads import lives_until_stopped
from ..fixtures import matrix, state
from ..fixtures.host import host_settings
from ..kinds import decide
from ..module import WasmModule
from ..settings import Settings
from .compatibility import compatibility, envoys_of, probe_loads_ahead, probes_loads
from .html_report import write_html
from .json_report import write_json
from .junit_report import write_junit
from .model import (
    ENVOY_VERSION_PROPERTY,
    FAILED_BY_VERDICT,
    RunReport,
    TestResult,
    result_from_phases,
)
from .redact import redact_settings, redact_text
from .summary import summary_lines
from .verdict import Selection, judge

LEVELS = {"must": (MUST,), "should": (SHOULD,), "all": (MUST, SHOULD)}
AREA_MARKER = "wasm_"  # wasm_abi, wasm_envoy, ...
SELECTION_OUTPUT = "wasmhub_selection"  # xdist workeroutput key: the MUST cases deselected and selected


def _settings(config: pytest.Config) -> Settings | None:
    return config.stash.get(state.SETTINGS, None)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


# --- configuration and collection ------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    for area in AREAS:
        config.addinivalue_line("markers", f"{AREA_MARKER}{area}: a conformance case of area {area}")
    settings = _settings(config)
    if settings is None:  # --help, --version
        return
    matrix.configure(config, settings)
    config.pluginmanager.register(ResultCollector(config, settings), f"wasmhub-results-{id(config)}")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: the workers run exactly the releases the controller resolved (same collection)."""
    the_matrix = matrix.matrix_of(node.config)
    if the_matrix is not None:
        node.workerinput[matrix.WORKER_VERSIONS] = [e.version for e in the_matrix.entries]


def pytest_report_header(config: pytest.Config) -> list[str]:
    return matrix.header_lines(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    matrix.parametrize(metafunc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = _settings(config)
    if settings is None:
        return
    wanted = LEVELS[settings.level]
    deselected = [item for item in items if (info := case_of(item)) is not None and info.level not in wanted]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        dropped = {id(item) for item in deselected}
        items[:] = [item for item in items if id(item) not in dropped]
    for item in items:
        info = case_of(item)
        if info is not None:
            item.add_marker(getattr(pytest.mark, AREA_MARKER + info.area))  # -m wasm_abi selects an area
            # id and level are set by pytest_wasmhub.plugin; these complete what a report shows
            item.user_properties.extend(
                [
                    ("wasm_case_area", info.area),
                    ("wasm_case_title", info.title),
                    ("wasm_case_spec", info.spec),
                ]
            )
        version = matrix.envoy_version_of(item)
        if version is not None:
            item.user_properties.append((ENVOY_VERSION_PROPERTY, version))


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> list[str]:
    """With ``--collect-only``: the conformance cases, one line each."""
    if not config.option.collectonly:
        return []
    seen: dict[str, int] = {}
    infos = {}
    for item in items:
        info = case_of(item)
        if info is not None:
            seen[info.id] = seen.get(info.id, 0) + 1
            infos[info.id] = info
    if not infos:
        return []
    lines = [f"wasmhub: {len(infos)} conformance cases"]
    for case_id in sorted(infos, key=lambda i: (infos[i].area, infos[i].level != MUST, i)):
        info = infos[case_id]
        runs = f" (x{seen[case_id]})" if seen[case_id] > 1 else ""
        lines.append(f"  {info.id:24} {info.level:6} {info.area:9} {info.title}{runs}")
    return lines


# --- results -----------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    # A fixture that ends the test with pytest.fail states a verdict on the module (the ``envoy``
    # fixture does when Envoy refuses it): a fail, not an error of the suite.
    excinfo = call.excinfo
    if call.when == "setup" and report.failed and excinfo and excinfo.errisinstance(pytest.fail.Exception):
        setattr(report, FAILED_BY_VERDICT, True)
    return report


class ResultCollector:
    """Turns each test's phase reports into one result, and at the end into the verdict and reports.

    One per pytest session (registered by ``pytest_configure``): nested sessions (pytester) keep theirs.
    """

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.started = time.time()
        self.phases: dict[str, list[pytest.TestReport]] = {}
        self.results: list[TestResult] = []
        self.report: RunReport | None = None
        self.written: list[str] = []
        self.write_error = ""
        # what of the suite did not run (a partial run); a worker's figures reach the controller
        self.deselected_must: set[str] = set()
        self.selected_must: set[str] = set()
        self.loads_ahead: Future[dict[str, tuple[str, str]]] | None = None
        self.probed: dict[str, tuple[str, str]] | None = None  # the load probes made ahead

    def _counts_for_selection(self, item: pytest.Item) -> bool:
        info = case_of(item)
        if info is None or info.level != MUST:
            return False
        # --wasm-host-check without a module leaves out the module's cases on purpose
        host_check_only = self.settings.values.get("host_check") and not self.settings.module
        return not (host_check_only and "wasm_module" in getattr(item, "fixturenames", ()))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected_must.update(i.nodeid for i in items if self._counts_for_selection(i))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected_must = {i.nodeid for i in session.items if self._counts_for_selection(i)}
        self.loads_ahead = self._probe_loads_ahead(session)

    def _probe_loads_ahead(self, session: pytest.Session) -> Future[dict[str, tuple[str, str]]] | None:
        """The compatibility table's load probes, started now in the background, one Envoy at a time:
        they depend on no case, and made at the end they added their start-ups to the run's wall."""
        config = self.config
        module = config.stash.get(state.MODULE, None)
        if _is_worker(config) or config.option.collectonly or not session.items:
            return None
        if module is None or not probes_loads(config, self.settings):
            return None
        envoys = [e for e in envoys_of(config) if e.wasm_supported]
        starter = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="wasmhub-load-probe", initializer=lives_until_stopped
        )
        config.add_cleanup(starter.shutdown)  # waits for a probe nobody asked for (an interrupted run)
        return starter.submit(probe_loads_ahead, envoys, module, self.settings)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        """Take the load probes made ahead once the cases are done, before the plugin's safety net stops
        every Envoy still running; an interrupted run probes afresh at the end instead."""
        result = yield
        if self.loads_ahead is not None:
            with contextlib.suppress(Exception):  # then the end of the run probes afresh
                self.probed = self.loads_ahead.result()
        return result

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist: each worker collected and deselected the same cases; take its figures."""
        figures = getattr(node, "workeroutput", {}).get(SELECTION_OUTPUT)
        if figures:
            self.deselected_must.update(figures["deselected"])
            self.selected_must.update(figures["selected"])

    def selection(self, results: list[TestResult]) -> Selection:
        ran = {r.nodeid for r in results}
        return Selection(len(self.deselected_must), len(self.selected_must - ran))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        phases = self.phases.setdefault(report.nodeid, [])
        phases.append(report)
        if report.when == "teardown":
            self.results.append(result_from_phases(self.phases.pop(report.nodeid)))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if _is_worker(self.config):  # the controller sees every worker's reports and decides
            self.config.workeroutput[SELECTION_OUTPUT] = {
                "deselected": sorted(self.deselected_must),
                "selected": sorted(self.selected_must),
            }
            return
        results = self.finished_results()
        if self.config.option.collectonly or not _gating_active(self.settings, results):
            return  # collecting is not a run: no verdict
        self.report = build_report(
            self.config,
            self.settings,
            results,
            session.exitstatus,
            self.started,
            self.selection(results),
            self.probed,
        )
        session.exitstatus = self.report.verdict.exit_code
        if self.settings.report:
            try:
                self.written = write_reports(self.report, self.settings.report)
            except OSError as exc:  # the verdict and exit code stand; the summary says what is missing
                self.write_error = f"{self.settings.origin('report')}: cannot write the report: {exc}"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        terminalreporter.section("wasmhub conformance", sep="=", bold=True)
        for text, markup in summary_lines(self.report, self.written):
            terminalreporter.write_line(text, **markup)
        if self.write_error:
            terminalreporter.write_line(self.write_error, red=True, bold=True)

    def finished_results(self) -> list[TestResult]:
        """Every test's result; tests cut short by an interruption are finished with what they have."""
        results = self.results + [result_from_phases(phases) for phases in self.phases.values()]
        self.phases.clear()
        return results


def _gating_active(settings: Settings, results: list[TestResult]) -> bool:
    """Gate when conformance cases ran, or should have (a module given with the suite collected), or
    when a conformance report was asked for."""
    expected_suite = (
        bool(settings.module or settings.values.get("host_check")) and not settings.no_conformance
    )
    return expected_suite or bool(settings.report) or any(r.case is not None for r in results)


def build_report(
    config: pytest.Config,
    settings: Settings,
    results: list[TestResult],
    pytest_exit_code: int,
    started: float,
    selection: Selection | None = None,
    probed: dict[str, tuple[str, str]] | None = None,
) -> RunReport:
    module = config.stash.get(state.MODULE, None)
    backend = "container" if settings.values.get("envoy_image") else "process"
    envoys = envoys_of(config)
    probe = module is not None and probes_loads(config, settings)
    return RunReport(
        suite_version=__version__,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        duration=time.time() - started,
        module=_module_facts(module, _kinds(config, module, settings)),
        envoys=envoys,
        backend=backend,
        configuration=redact_settings(settings.values),
        results=results,
        verdict=judge(
            results,
            strict=bool(settings.strict),
            pytest_exit_code=int(pytest_exit_code),
            selection=selection,
        ),
        compatibility=compatibility(envoys, results, module if probe else None, settings, probed),
        pytest_exit_code=int(pytest_exit_code),
    )


def write_reports(report: RunReport, json_path: Path) -> list[str]:
    """The JSON report at ``json_path``, and its HTML and JUnit XML twins beside it.

    Each is written to a temporary file and renamed into place: a reader never sees half a report, and
    a failure leaves none. Raises ``OSError`` naming the file that could not be written.
    """
    targets = [
        (write_json, json_path),
        (write_html, json_path.with_suffix(".html")),
        (write_junit, json_path.with_suffix(".junit.xml")),
    ]
    json_path.parent.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, Path]] = []
    try:
        for write, path in targets:
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            os.close(handle)
            written.append((Path(temporary), path))
            write(report, Path(temporary))
        for temporary, path in written:
            os.replace(temporary, path)
    finally:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
    return [str(path) for _, path in targets]


def _kinds(config: pytest.Config, module: WasmModule | None, settings: Settings) -> dict[str, Any] | None:
    """How the module ran (http, network, service) and why not otherwise; decided here when this process
    ran no case that needed it (the xdist controller)."""
    if module is None:
        return None
    decision = config.stash.get(state.KINDS, None)
    if decision is None:
        decision = decide(module, settings.kind, host_settings(settings))
        config.stash[state.KINDS] = decision
    return decision.as_dict()


def _module_facts(module: WasmModule | None, kinds: dict[str, Any] | None = None) -> dict[str, Any] | None:
    if module is None:
        return None
    package = module.package or {}
    return {
        "kinds": kinds,
        "source": redact_text(module.source),
        "kind": module.kind,
        "size": module.size,
        "sha256": module.sha256,
        "abi_version": module.abi_version,
        "manifest_digest": package.get("manifest_digest"),
    }
