"""The WASI (preview1) functions Envoy links, with cpp-host's behaviour (``src/exports.cc``): stdout and
stderr go to the log, clocks and randomness work, the file system does not exist."""

from __future__ import annotations

import os
import struct

from .codes import WASI_NOENT, WASI_NOSYS, LogLevel, WasiClock, WasiErrno, WasiFd
from .errors import GuestMemoryError
from .hostcalls.base import Call, wasi_function

RANDOM_GET_MAX_BYTES = 64 * 1024  # PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES
_FD_LOG_LEVELS = {WasiFd.STDOUT: (LogLevel.INFO, "stdout"), WasiFd.STDERR: (LogLevel.ERROR, "stderr")}


@wasi_function()
def fd_write(call: Call, fd: int, iovs_ptr: int, iovs_count: int, return_written_ptr: int) -> int:
    if fd not in _FD_LOG_LEVELS:
        return WasiErrno.BADF
    level, source = _FD_LOG_LEVELS[WasiFd(fd)]
    try:
        chunks = []
        for i in range(iovs_count):
            buf, length = struct.unpack("<II", call.read(iovs_ptr + 8 * i, 8))
            chunks.append(call.read(buf, length))
    except GuestMemoryError:
        return WasiErrno.FAULT
    text = b"".join(chunks)
    if text:
        message = text[:-1] if text.endswith(b"\n") else text
        call.host.log(level, message.decode("utf-8", "replace"), source)
    call.note(fd=source, text=text)
    call.write_u32(return_written_ptr, len(text))
    return WasiErrno.SUCCESS


@wasi_function()
def fd_read(call: Call, fd: int, iovs_ptr: int, iovs_count: int, return_read_ptr: int) -> int:
    return WASI_NOSYS


@wasi_function()
def fd_close(call: Call, fd: int) -> int:
    return WasiErrno.SUCCESS


@wasi_function()
def fd_seek(call: Call, fd: int, offset: int, whence: int, return_offset_ptr: int) -> int:
    return WasiErrno.SUCCESS


@wasi_function()
def fd_fdstat_get(call: Call, fd: int, return_stat_ptr: int) -> int:
    if fd not in _FD_LOG_LEVELS:
        return WasiErrno.BADF
    call.write(return_stat_ptr, struct.pack("<QQQ", 0, 64, 0))  # rights: FD_WRITE only
    return WasiErrno.SUCCESS


@wasi_function()
def fd_prestat_get(call: Call, fd: int, return_prestat_ptr: int) -> int:
    return WasiErrno.BADF  # no preopened directories


@wasi_function()
def fd_prestat_dir_name(call: Call, fd: int, path_ptr: int, path_size: int) -> int:
    return WasiErrno.BADF


@wasi_function()
def path_open(
    call: Call,
    fd: int,
    dirflags: int,
    path_ptr: int,
    path_size: int,
    oflags: int,
    rights_base: int,
    rights_inheriting: int,
    fdflags: int,
    return_fd_ptr: int,
) -> int:
    return WASI_NOENT


@wasi_function()
def environ_sizes_get(call: Call, return_count_ptr: int, return_size_ptr: int) -> int:
    entries = _environment(call)
    call.write_u32(return_count_ptr, len(entries))
    call.write_u32(return_size_ptr, sum(len(e) for e in entries))
    return WasiErrno.SUCCESS


@wasi_function()
def environ_get(call: Call, environ_ptr: int, environ_buf_ptr: int) -> int:
    for entry in _environment(call):
        call.write_u32(environ_ptr, environ_buf_ptr)
        call.write(environ_buf_ptr, entry)
        environ_ptr += 4
        environ_buf_ptr += len(entry)
    return WasiErrno.SUCCESS


def _environment(call: Call) -> list[bytes]:
    return [f"{k}={v}".encode() + b"\0" for k, v in call.host.environment.items()]


@wasi_function()
def args_sizes_get(call: Call, return_count_ptr: int, return_size_ptr: int) -> int:
    call.write_u32(return_count_ptr, 0)
    call.write_u32(return_size_ptr, 0)
    return WasiErrno.SUCCESS


@wasi_function()
def args_get(call: Call, argv_ptr: int, argv_buf_ptr: int) -> int:
    return WasiErrno.SUCCESS


@wasi_function()
def clock_time_get(call: Call, clock_id: int, precision: int, return_time_ptr: int) -> int:
    clock = call.host.clock
    if clock_id == WasiClock.REALTIME:
        now = clock.realtime_ns
    elif clock_id == WasiClock.MONOTONIC:
        now = clock.monotonic_ns
    else:
        return WasiErrno.NOTSUP
    call.write_u64(return_time_ptr, now)
    return WasiErrno.SUCCESS


@wasi_function()
def clock_res_get(call: Call, clock_id: int, return_resolution_ptr: int) -> int:
    if clock_id not in (WasiClock.REALTIME, WasiClock.MONOTONIC):
        return WasiErrno.NOTSUP
    call.write_u64(return_resolution_ptr, 1)
    return WasiErrno.SUCCESS


@wasi_function()
def random_get(call: Call, buf_ptr: int, buf_size: int) -> int:
    if buf_size > RANDOM_GET_MAX_BYTES:
        return WasiErrno.INVAL
    call.write(buf_ptr, os.urandom(buf_size))
    return WasiErrno.SUCCESS


@wasi_function()
def sched_yield(call: Call) -> int:
    return WasiErrno.SUCCESS


@wasi_function()
def poll_oneoff(call: Call, in_ptr: int, out_ptr: int, subscriptions: int, return_events_ptr: int) -> int:
    call.write_u32(return_events_ptr, 0)  # cpp-host: no events, success (the Go runtime needs it)
    return WasiErrno.SUCCESS


@wasi_function()
def proc_exit(call: Call, code: int) -> None:
    call.note(
        code=code
    )  # Envoy only logs it; the module keeps running (docs/host-facts.md#proc-exit-is-a-no-op)
    return None
