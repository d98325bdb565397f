"""Header-map serialization (proxy-wasm spec, "Serialization"): a little-endian u32 count N, N pairs of
u32 (key length, value length), then every key and value followed by a NUL byte."""

from __future__ import annotations

import struct
from collections.abc import Iterable

Pair = tuple[bytes, bytes]

# cpp-host refuses maps larger than these (include/proxy-wasm/limits.h)
MAX_PAIRS_BYTES = 1 << 20
MAX_PAIRS_COUNT = 1024


class PairsFormatError(ValueError):
    """The bytes are not a serialized map."""


def encode(pairs: Iterable[Pair]) -> bytes:
    items = list(pairs)
    sizes = b"".join(struct.pack("<II", len(k), len(v)) for k, v in items)
    data = b"".join(k + b"\0" + v + b"\0" for k, v in items)
    return struct.pack("<I", len(items)) + sizes + data


def decode(data: bytes) -> list[Pair]:
    """Parse a serialized map. An empty buffer or a single NUL byte is the empty map."""
    if len(data) in (0, 1) and data in (b"", b"\0"):
        return []
    if len(data) > MAX_PAIRS_BYTES:
        raise PairsFormatError(f"{len(data)} bytes is over the {MAX_PAIRS_BYTES}-byte limit")
    if len(data) < 4:
        raise PairsFormatError(f"{len(data)} bytes is too short for a pair count")
    (count,) = struct.unpack_from("<I", data)
    if count > MAX_PAIRS_COUNT:
        raise PairsFormatError(f"{count} pairs is over the {MAX_PAIRS_COUNT}-pair limit")
    header_end = 4 + 8 * count
    if header_end > len(data):
        raise PairsFormatError(f"{count} pairs do not fit in {len(data)} bytes")
    sizes = struct.unpack_from(f"<{2 * count}I", data, 4)
    pos = header_end
    out: list[Pair] = []
    for i in range(count):
        key_len, value_len = sizes[2 * i], sizes[2 * i + 1]
        key_end = pos + key_len
        value_end = key_end + 1 + value_len
        if value_end + 1 > len(data):
            raise PairsFormatError(f"pair {i} runs past the end of the {len(data)}-byte buffer")
        out.append((data[pos:key_end], data[key_end + 1 : value_end]))
        pos = value_end + 1
    return out
