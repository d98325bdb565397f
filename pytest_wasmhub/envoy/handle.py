"""A running Envoy, whatever runs it: URLs, the admin API, logs, stop. Runners subclass ``EnvoyHandle``."""

from __future__ import annotations

import re
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import unix_sockets
from ..httpclient import no_tls, plain_client, unix_transport
from .accesslog import AccessReader, AccessRecord
from .bootstrap import Address
from .logs import LogEntry, LogReader, missing_runtime, refusal_reason, tail, wasm_errors, wasm_failures


class EnvoyStartError(RuntimeError):
    """Envoy did not become ready; ``reason`` quotes Envoy's own log where it said why."""

    def __init__(
        self,
        reason: str,
        *,
        log: str = "",
        bootstrap_path: Path | None = None,
        exit_code: int | None = None,
        never_ready: bool = False,
    ) -> None:
        self.reason = reason
        self.log = log
        self.bootstrap_path = bootstrap_path
        self.exit_code = exit_code
        self.never_ready = never_ready  # Envoy ran but never said ready (a start-up that never ends)
        super().__init__(reason)

    @property
    def missing_runtime(self) -> str | None:
        """Set when Envoy refused because the build lacks the Wasm runtime asked for: not the module's fault."""
        return missing_runtime(self.log)

    def details(self) -> str:
        return f"bootstrap: {self.bootstrap_path}\n--- envoy log (tail) ---\n{tail(self.log)}"


def parse_admin_address(text: str) -> Address | None:
    """What Envoy writes to ``--admin-address-path``: ``HOST:PORT``, or the path of a Unix socket."""
    text = text.strip()
    if text.startswith("/"):
        return text
    host, _, port = text.rpartition(":")
    return (host, int(port)) if port.isdigit() else None


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        names = {-6: "SIGABRT", -9: "SIGKILL", -11: "SIGSEGV", -15: "SIGTERM"}
        return f"killed by signal {names.get(code, -code)}"
    return f"exit code {code}"


# the host part of a listener's URL when it is a Unix socket: only the handle's clients reach it (the
# .invalid domain never resolves, RFC 2606, so a client of its own fails at once instead of elsewhere)
UNIX_LISTENER_HOST = "{name}.unix-socket.invalid"


class _Explaining(httpx.HTTPTransport):
    """A transport that asks the handle why Envoy gave no answer, instead of a bare transport error."""

    def __init__(self, envoy: EnvoyHandle, uds: str | None = None) -> None:
        super().__init__(http1=True, http2=False, verify=no_tls(), uds=uds)
        self.envoy = envoy

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except httpx.TransportError as error:
            if self.envoy.explain_no_answer is None:
                raise
            what = f"{request.method} {request.url.raw_path.decode(errors='replace')}"
            message = self.envoy.explain_no_answer(what, error)
            # the same exception type (an author's pytest.raises still matches), in Envoy's terms
            raise type(error)(f"{message} ({type(error).__name__}: {error})", request=request) from None


class EnvoyHandle(ABC):
    """One Envoy. ``url`` is the listener with the module; ``passthrough_url`` the one without it.

    Envoy listens on loopback ports (process backend) or on Unix sockets (container backend, no
    network): the handle's clients (``http``, ``client(url)``, ``admin``, ``connect``/``tcp``) reach
    either, so tests and cases never need to know which."""

    backend = "abstract"

    def __init__(self, *, bootstrap_path: Path) -> None:
        self.bootstrap_path = bootstrap_path
        self.admin_url = ""
        self.listeners: dict[str, str] = {}
        # the listener ``url`` and ``http`` lead to; an Envoy hosting several Wasm listeners (a shared
        # probe Envoy) points it at the one the current test was given
        self.primary_listener = "wasm"
        self.listener_sockets: dict[str, str] = {}  # listener name -> Unix socket path (container)
        self._log_reader = LogReader()
        self._access_reader = AccessReader()
        self._parse_lock = threading.Lock()  # the readers keep state; a diagnosis may run in a thread
        self._admin: httpx.Client | None = None
        self._http: httpx.Client | None = None
        self._clients: dict[tuple[str, bool, float], httpx.Client] = {}
        self.wedged = False  # set when a worker is known stuck in the module: stop without waiting
        # why this Envoy must not serve another test (a request the module never finished): set by the
        # suite, read by the pool
        self.tainted = ""
        # says in Envoy's terms why ``http`` got no answer: (what was sent, the error) -> one line
        self.explain_no_answer: Callable[[str, Exception], str] | None = None

    # --- provided by the runner -------------------------------------------------------------
    @abstractmethod
    def logs(self) -> str:
        """Everything Envoy logged so far."""

    @abstractmethod
    def exit_code(self) -> int | None:
        """None while Envoy runs; its exit status (negative: killed by that signal) once it stopped."""

    @abstractmethod
    def _terminate(self, grace: float) -> None:
        """Stop Envoy: ask, then force after ``grace`` seconds."""

    @abstractmethod
    def _admin_address(self) -> Address | None:
        """Where the admin API listens (host and port, or a Unix socket's path), once Envoy has said
        so; None before."""

    def _host_path(self, path: str) -> str:
        """A Unix socket path Envoy reported, as this process reaches it (a runner sharing a directory
        with a container maps it)."""
        return path

    # --- common -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.listeners[self.primary_listener]

    def use_listener(self, name: str) -> None:
        """Point ``url`` and ``http`` at another of this Envoy's Wasm listeners."""
        if name not in self.listeners:
            raise KeyError(f"Envoy has no listener {name!r}; it has {', '.join(self.listeners)}")
        if name != self.primary_listener and self._http is not None:
            self._http.close()
            self._http = None
        self.primary_listener = name

    @property
    def passthrough_url(self) -> str:
        return self.listeners["passthrough"]

    def passthrough_listener(self, kind: str = "http") -> str:
        """The listener without any module for ``kind`` ("http" or "network") traffic: "passthrough",
        except for TCP in the suite's probe Envoy, which hosts both kinds ("passthrough-network")."""
        network = "passthrough-network"
        return network if kind == "network" and network in self.listeners else "passthrough"

    def address(self, listener: str = "") -> Address:
        """Where one of Envoy's listeners is (default: the primary one, with the module): (host, port),
        or the path of its Unix socket."""
        listener = listener or self.primary_listener
        if listener in self.listener_sockets:
            return self.listener_sockets[listener]
        parts = urlsplit(self.listeners[listener])
        assert parts.hostname is not None and parts.port is not None
        return parts.hostname, parts.port

    def connect(self, listener: str = "", timeout: float = 10.0) -> socket.socket:
        """A stream connection to a listener (TCP, or its Unix socket): raw bytes, no HTTP client."""
        address = self.address(listener)
        if isinstance(address, tuple):
            return socket.create_connection(address, timeout=timeout)
        return unix_sockets.connect(address, timeout=timeout)

    def tcp(self, listener: str = "", timeout: float = 10.0) -> socket.socket:
        """A connection to a listener (for a network filter: through the module to the upstream)."""
        return self.connect(listener, timeout=timeout)

    def listener_of(self, url: str) -> str | None:
        """The name of the listener ``url`` (one of ``listeners``) leads to; None for another URL."""
        netloc = urlsplit(url).netloc
        return next(
            (name for name, known in self.listeners.items() if urlsplit(known).netloc == netloc), None
        )

    def socket_for(self, url: str) -> str | None:
        """The Unix socket behind ``url`` when the listener is one; None for loopback TCP."""
        listener = self.listener_of(url)
        return self.listener_sockets.get(listener) if listener else None

    def transport(self, url: str, *, http2: bool = False) -> httpx.HTTPTransport | None:
        """The transport that reaches ``url`` (a Unix socket's), or None: httpx's default is right."""
        path = self.socket_for(url)
        return unix_transport(path, http2=http2) if path else None

    def wait_for_log(self, pattern: str, timeout: float = 5.0) -> re.Match[str] | None:
        """Wait until Envoy's log matches ``pattern`` (a regular expression); the match, or None."""
        expression = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = expression.search(self.logs())
            if match or time.monotonic() >= deadline or not self.is_alive():
                return match
            time.sleep(0.02)

    @property
    def http(self) -> httpx.Client:
        """An HTTP client for the listener with the module (relative URLs: ``envoy.http.get("/")``).
        When Envoy gives no answer, ``explain_no_answer`` (set by the plugin) turns the transport error
        into one line in Envoy's terms: it died, its worker is wedged, the module holds the request."""
        if self._http is None:
            self._http = plain_client(self.url, transport=_Explaining(self, self.socket_for(self.url)))
        return self._http

    def client(self, url: str | None = None, *, http2: bool = False, timeout: float = 10.0) -> httpx.Client:
        """A kept-alive client for one of this Envoy's listeners (default: the one with the module):
        ``envoy.client(envoy.passthrough_url).get("/")``."""
        key = (url or self.url, http2, timeout)
        if key not in self._clients:
            transport = self.transport(key[0], http2=http2)
            self._clients[key] = plain_client(key[0], http2=http2, timeout=timeout, transport=transport)
        return self._clients[key]

    def new_client(
        self, url: str | None = None, *, http2: bool = False, timeout: float = 10.0
    ) -> httpx.Client:
        """A client of its own (new connections; close it) for one of this Envoy's listeners."""
        url = url or self.url
        return plain_client(url, http2=http2, timeout=timeout, transport=self.transport(url, http2=http2))

    @property
    def admin(self) -> httpx.Client:
        """An HTTP client for Envoy's admin API (``envoy.admin.get("/stats")``)."""
        self.admin_get("/ready")  # resolves the admin address
        assert self._admin is not None
        return self._admin

    def is_alive(self) -> bool:
        return self.exit_code() is None

    def exit_description(self) -> str:
        """How Envoy ended, in words ("killed by signal SIGSEGV"); runners may know more (OOMKilled)."""
        return describe_exit(self.exit_code())

    def wait_exit(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for Envoy to exit; its exit status, or None if it still runs."""
        deadline = time.monotonic() + timeout
        while self.exit_code() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.exit_code()

    def exit_after_reset(self, grace: float = 0.5) -> int | None:
        """Envoy's exit status when it is dying, after a connection of the suite's was reset or cut;
        None when it runs. A crashing Envoy's sockets close only at its exit (after its backtrace), so
        an admin API that still says LIVE means Envoy itself cut the connection: no wait then."""
        code = self.exit_code()
        if code is None and not self.ready(timeout=grace):
            code = self.wait_exit(grace)
        return code

    def admin_get(self, path: str, timeout: float = 5.0) -> httpx.Response:
        if self._admin is None:
            address = self._admin_address()
            if address is None:
                raise httpx.ConnectError("Envoy has not opened its admin port yet")
            if isinstance(address, str):
                self.admin_url = "http://" + UNIX_LISTENER_HOST.format(name="admin")
                self._admin = plain_client(self.admin_url, timeout=5.0, transport=unix_transport(address))
            else:
                self.admin_url = f"http://{address[0]}:{address[1]}"
                self._admin = plain_client(self.admin_url, timeout=5.0)
        return self._admin.get(path, timeout=timeout)

    def ready(self, timeout: float = 2.0) -> bool:
        """Envoy's own answer: admin ``/ready`` says LIVE."""
        if not self.is_alive():
            return False
        try:
            return self.admin_get("/ready", timeout=timeout).status_code == 200
        except Exception:  # any failure to get an answer means "not ready" (httpx or a re-imported httpcore)
            return False

    def stats(self) -> dict[str, int]:
        """Counters and gauges from the admin API (histograms left out)."""
        out: dict[str, int] = {}
        for line in self.admin_get("/stats").text.splitlines():
            name, _, value = line.partition(": ")
            if value.lstrip("-").isdigit():
                out[name] = int(value)
        return out

    def config_dump(self) -> dict[str, Any]:
        return self.admin_get("/config_dump").json()

    def wasm_errors(self) -> list[str]:
        """Envoy's own Wasm failures (traps, failed VMs, load failures), in order; the module's own log
        lines, whatever their level, are not among them."""
        return wasm_errors(self.logs())

    def wasm_failure_count(self) -> int:
        """How many Wasm failures of Envoy's own it logged (repeats counted: each trap is one)."""
        return len(wasm_failures(self.log_entries()))

    def log_entries(self) -> list[LogEntry]:
        """Envoy's log entries so far (a new list each call; parsed incrementally)."""
        with self._parse_lock:
            return self._log_reader.entries(self.logs())

    def access_log(self) -> str:
        """Envoy's access records (JSON lines); runners that write them to a file of their own override."""
        return self.logs()

    def access_records(self) -> list[AccessRecord]:
        with self._parse_lock:
            return self._access_reader.records(self.access_log())

    def record_for(self, request_id: str, timeout: float = 1.0) -> AccessRecord | None:
        """Envoy's record of the request the suite marked ``request_id``; it is written when the stream
        ends, so wait a little for it."""
        deadline = time.monotonic() + timeout
        while True:
            for record in reversed(self.access_records()):
                if record.request == request_id:
                    return record
            if time.monotonic() >= deadline or not self.is_alive():
                return None
            time.sleep(0.0005)  # Envoy flushes its records every ACCESS_LOG_FLUSH_MS

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.logs(), lines)

    def wait_ready(self, timeout: float) -> None:
        """Poll ``/ready`` until LIVE; raise ``EnvoyStartError`` with Envoy's reason if it gives up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.exit_code()
            if code is not None:
                self._raise_start_error(f"Envoy stopped during start-up ({self.exit_description()})", code)
            if self.ready(timeout=1.0):
                self._discover_listeners()
                return
            time.sleep(0.01)
        self._raise_start_error(
            f"Envoy never became ready within {timeout:g} s: it still runs but its start-up does not "
            "end (a module looping in proxy_on_vm_start or proxy_on_configure does this)",
            None,
        )

    def _raise_start_error(self, what: str, code: int | None) -> None:
        log = self.logs()
        reason = "" if code is None else f": {refusal_reason(log)}"
        raise EnvoyStartError(
            f"{what}{reason}",
            log=log,
            bootstrap_path=self.bootstrap_path,
            exit_code=code,
            never_ready=code is None,
        )

    def _discover_listeners(self) -> None:
        for status in self.admin_get("/listeners?format=json").json()["listener_statuses"]:
            name, local = status["name"], status["local_address"]
            if "pipe" in local:
                self.listener_sockets[name] = self._host_path(local["pipe"]["path"])
                self.listeners[name] = "http://" + UNIX_LISTENER_HOST.format(name=name)
                continue
            address = local["socket_address"]
            self.listeners[name] = self._listener_url(address["address"], address["port_value"])

    def _listener_url(self, host: str, port: int) -> str:
        return f"http://{host}:{port}"

    def stop(self, grace: float = 3.0) -> int | None:
        """Stop Envoy and release its resources; returns its exit status. Safe to call twice."""
        if self.is_alive():
            # a wedged worker never finishes a graceful shutdown (measured): do not wait for it
            self._terminate(0.0 if self.wedged else grace)
        for client in (self._admin, self._http, *self._clients.values()):
            if client is not None:
                client.close()
        self._clients.clear()
        return self.exit_code()

    def __enter__(self) -> EnvoyHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
