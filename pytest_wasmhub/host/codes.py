"""Status codes and enum values, named and numbered as the ABI model has them."""

from __future__ import annotations

from enum import IntEnum

from pytest_wasmhub.abi import ABI_VERSIONS, load_abi

_LATEST = load_abi(ABI_VERSIONS[-1])

Status = IntEnum("Status", _LATEST.status_codes)
LogLevel = IntEnum("LogLevel", _LATEST.enums["log_level"])
Action = IntEnum("Action", _LATEST.enums["action"])
BufferType = IntEnum("BufferType", _LATEST.enums["buffer_type"])
MapType = IntEnum("MapType", _LATEST.enums["map_type"])
StreamType = IntEnum("StreamType", _LATEST.enums["stream_type"])
MetricType = IntEnum("MetricType", _LATEST.enums["metric_type"])
WasiErrno = IntEnum("WasiErrno", _LATEST.enums["wasi_errno"])
WasiClock = IntEnum("WasiClock", _LATEST.enums["wasi_clock"])
WasiFd = IntEnum("WasiFd", _LATEST.enums["wasi_fd"])

# WASI preview1 errno values the ABI model does not list (it names only those the spec names)
WASI_NOSYS = 52
WASI_NOENT = 44


STATUS_NAMES = {int(s): s.name for s in Status}  # a lookup: Status(value) costs several times more


def status_name(value: int) -> str:
    name = STATUS_NAMES.get(value)
    return str(value) if name is None else name
