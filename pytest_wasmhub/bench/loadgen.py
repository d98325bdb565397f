"""One bounded load run with ``h2load`` (Debian ``nghttp2-client``) and what it measured.

h2load prints throughput and a min/max/mean summary of request times; with ``--log-file`` it also writes
one line per request (start, status, microseconds to the end of the response), from which the exact
percentiles are taken. The log holds only the measured requests (not a warm-up), one fresh file a run:
h2load appends to an existing one (measured).
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..spawn import environment, tied

# h2load's -p value for each protocol: HTTP/2 over cleartext with prior knowledge, or HTTP/1.1
PROTOCOLS = {"h1": "http/1.1", "h2": "h2c"}
PROTOCOL_NAMES = {"h1": "HTTP/1.1", "h2": "HTTP/2"}
INSTALL_HINT = "install it with: apt-get install nghttp2-client"


class LoadGeneratorError(RuntimeError):
    """h2load is missing, failed, or did not finish in time; the message says which."""


def find_h2load(explicit: str | Path | None = None) -> Path:
    """The h2load to run: ``explicit`` if given, else the one on PATH."""
    found = shutil.which(str(explicit) if explicit else "h2load")
    if found is None:
        where = f"{explicit}: not an executable h2load" if explicit else "h2load is not on PATH"
        raise LoadGeneratorError(f"{where}; {INSTALL_HINT}")
    return Path(found)


@dataclass(frozen=True)
class LoadSpec:
    """What one run sends: bounded by ``requests`` (a count) or ``duration`` (seconds), and always by
    ``time_limit``, after which h2load is killed."""

    url: str
    protocol: str = "h1"
    connections: int = 4
    streams: int = 1  # per connection: HTTP/2 streams, or HTTP/1.1 pipelined requests
    threads: int = 1
    requests: int | None = None
    duration: float | None = 1.0
    body: Path | None = None  # a file to POST; None sends GETs
    time_limit: float = 60.0

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol {self.protocol!r} is not one of {', '.join(PROTOCOLS)}")
        if (self.requests is None) == (self.duration is None):
            raise ValueError("give either a request count or a duration")

    def command(self, h2load: Path, log_file: Path) -> list[str]:
        bound = ["-n", str(self.requests)] if self.requests else ["-D", f"{round(self.duration * 1000)}ms"]
        return [
            str(h2load),
            *bound,
            "-c",
            str(self.connections),
            "-m",
            str(self.streams),
            "-t",
            str(self.threads),
            "-p",
            PROTOCOLS[self.protocol],
            *(["-d", str(self.body)] if self.body else []),
            "--log-file",
            str(log_file),
            self.url,
        ]


@dataclass(frozen=True)
class Latency:
    """Request times of one run, microseconds: h2load's summary and percentiles from its request log."""

    min: float
    mean: float
    max: float
    sd: float
    p50: float
    p90: float
    p99: float


@dataclass(frozen=True)
class LoadRun:
    """What one h2load run measured."""

    protocol: str
    requests_per_second: float
    seconds: float
    total: int
    succeeded: int
    failed: int
    errored: int
    timeout: int
    status_classes: dict[str, int]  # "2xx" .. "5xx"
    latency: Latency
    responses_logged: int  # lines of the request log with a status (what the percentiles are over)

    @property
    def non_2xx(self) -> int:
        return sum(count for cls, count in self.status_classes.items() if cls != "2xx")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FINISHED = re.compile(r"^finished in (?P<time>[\d.]+)(?P<unit>\w+), (?P<rps>[\d.]+) req/s", re.M)
_REQUESTS = re.compile(
    r"^requests: (?P<total>\d+) total, \d+ started, \d+ done, (?P<succeeded>\d+) succeeded, "
    r"(?P<failed>\d+) failed, (?P<errored>\d+) errored, (?P<timeout>\d+) timeout",
    re.M,
)
_STATUS = re.compile(r"^status codes: (.*)$", re.M)
_REQUEST_TIME = re.compile(r"^time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", re.M)
_UNITS_US = {"us": 1.0, "ms": 1e3, "s": 1e6}


def _to_us(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return float(match[1]) * _UNITS_US[match[2]]


def parse_summary(stdout: str) -> dict[str, Any]:
    """The numbers of h2load's closing summary (throughput, request counts, status classes, request
    times in microseconds)."""
    finished, requests = _FINISHED.search(stdout), _REQUESTS.search(stdout)
    status, times = _STATUS.search(stdout), _REQUEST_TIME.search(stdout)
    if not (finished and requests and status and times):
        raise LoadGeneratorError(f"h2load printed no summary: {stdout.strip()[-300:]!r}")
    classes = {cls: int(count) for count, cls in re.findall(r"(\d+) (\dxx)", status[1])}
    return {
        "requests_per_second": float(finished["rps"]),
        "seconds": _to_us(finished["time"] + finished["unit"]) / 1e6,
        **{key: int(requests[key]) for key in ("total", "succeeded", "failed", "errored", "timeout")},
        "status_classes": classes,
        "time_min": _to_us(times[1]),
        "time_max": _to_us(times[2]),
        "time_mean": _to_us(times[3]),
        "time_sd": _to_us(times[4]),
    }


def read_request_times(log_file: Path) -> list[int]:
    """Microseconds to the end of the response of each request that got one (status -1: no response)."""
    times = []
    for line in log_file.read_text().splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and int(fields[1]) >= 0:
            times.append(int(fields[2]))
    return times


def percentile(sorted_values: list[int], percent: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def run_load(spec: LoadSpec, h2load: Path, workdir: Path) -> LoadRun:
    """Run h2load once; it is reaped whatever happens (time limit, Ctrl-C, an error here)."""
    log_file = Path(workdir) / f"h2load-{uuid.uuid4().hex}.tsv"
    # the death signal follows the starting thread: only tie h2load to the main thread
    tie = threading.current_thread() is threading.main_thread()
    command, preexec = tied(spec.command(h2load, log_file), tie)
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
        env=environment(),
    )
    try:
        stdout, stderr = process.communicate(timeout=spec.time_limit)
    except subprocess.TimeoutExpired:
        raise LoadGeneratorError(
            f"h2load against {spec.url} did not finish within {spec.time_limit:g} s and was stopped"
        ) from None
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    try:
        if process.returncode != 0:
            last = (stderr.strip() or stdout.strip()).splitlines()[-1:] or ["no output"]
            raise LoadGeneratorError(f"h2load failed (exit {process.returncode}): {last[0]}")
        summary = parse_summary(stdout)
        times = sorted(read_request_times(log_file)) if log_file.exists() else []
    finally:
        log_file.unlink(missing_ok=True)
    latency = Latency(
        min=summary.pop("time_min"),
        mean=summary.pop("time_mean"),
        max=summary.pop("time_max"),
        sd=summary.pop("time_sd"),
        p50=percentile(times, 50),
        p90=percentile(times, 90),
        p99=percentile(times, 99),
    )
    return LoadRun(protocol=spec.protocol, latency=latency, responses_logged=len(times), **summary)
