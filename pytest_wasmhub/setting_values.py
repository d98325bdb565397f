"""What a setting's value may be: one check per kind of value, each raising ``SettingError`` with a
one-line reason (``pytest_wasmhub.settings`` names the setting and where the value came from).

Paths are checked without creating anything, and files are read in bounded memory: a bad value stops
the run before any test, and leaves nothing behind.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from .envoy.limits import parse_memory
from .paths import user_path


class SettingError(ValueError):
    """A setting has a value that cannot be used."""


def any_text(value: str) -> str:
    return value


def choice(*valid: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in valid:
            raise SettingError(f"{value!r} is not valid; valid values: {', '.join(valid)}")
        return value

    return parse


def positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingError(f"{value!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise SettingError(f"{value!r} must be a finite number greater than 0")
    return number


MAX_SEARCH_SECONDS = 3600.0


def search_seconds(value: str) -> float:
    """A time budget in seconds; 0 turns the search off."""
    try:
        number = float(value)
    except ValueError:
        raise SettingError(f"{value!r} is not a number of seconds (0 turns the search off)") from None
    if not math.isfinite(number) or not 0 <= number <= MAX_SEARCH_SECONDS:
        raise SettingError(f"{value!r} must be from 0 (off) to {MAX_SEARCH_SECONDS:g} seconds")
    return number


MAX_SEED = 2**64 - 1


def seed_number(value: str) -> int:
    """A seed: a whole number from 0 to 2**64-1 (decimal)."""
    text = value.strip()
    number = int(text) if text.isascii() and text.isdigit() else -1
    if not 0 <= number <= MAX_SEED:
        raise SettingError(f"{value!r} is not a whole number from 0 to {MAX_SEED}")
    return number


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingError(f"{value!r} is not a boolean; valid values: true, false, 1, 0, yes, no")


MAX_COUNT = 4_194_304  # Linux's highest pid_max: no process limit is larger


def positive_int(value: str) -> int:
    text = value.strip()
    number = int(text) if text.isascii() and text.isdigit() else 0
    if not 1 <= number <= MAX_COUNT:
        raise SettingError(f"{value!r} is not a whole number from 1 to {MAX_COUNT}")
    return number


def nonempty(value: str) -> str:
    """A name or path that, given at all, must say something: an empty one is a mistake, not the default."""
    if not value.strip():
        raise SettingError("empty; leave the setting out to use the default")
    return value


def memory_size(value: str) -> str:
    """Docker's memory notation: 512m, 1g, or a number of bytes."""
    try:
        parse_memory(value)
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    return value.strip().lower()


def directory(value: str) -> str:
    if not value.strip() or not user_path(value).is_dir():
        raise SettingError(f"{value!r} is not a directory")
    return str(user_path(value))


def probes_directory(value: str) -> str:
    """``--wasm-probes``: replaces the suite's probes, so it must hold every one of them."""
    from .probes import probes_dir

    given = Path(directory(value))
    missing = sorted(p.name for p in probes_dir().glob("*.wat") if not (given / p.name).is_file())
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise SettingError(f"{value!r} lacks probe modules the suite runs: {shown}")
    return str(given)


def plugin_configuration(value: str) -> str:
    """``--wasm-config``: inline text or JSON, or ``@file`` to read it from a file; JSON (inline or from
    the file) must parse.

    On the command line write ``--wasm-config=@file``: pytest reads a lone ``@file`` argument as a file
    of more arguments before any plugin sees it.
    """
    if not value.startswith("@"):
        _check_json(value, "looks like JSON")
        return value
    path = user_path(value[1:])
    if not value[1:]:
        raise SettingError("'@' names no file; write @PATH")
    if path.exists() and not path.is_file():
        raise SettingError(f"{value!r}: {_shown(path)} is not a regular file")
    try:
        text = read_bounded_text(path, MAX_CONFIGURATION_BYTES)
    except FileNotFoundError:
        raise SettingError(f"{value!r}: no such file {_shown(path)}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SettingError(f"{value!r}: cannot read {_shown(path)}: {_reason(exc)}") from None
    _check_json(text, f"{_shown(path)} looks like JSON")
    return text


def _shown(path: Path) -> str:
    """A path for a one-line message: as it is, unless it holds a line break or other control character."""
    text = str(path)
    return repr(text) if any(not c.isprintable() for c in text) else text


# Envoy takes a plugin configuration in its bootstrap; more than this is a mistake (a module, a log file).
MAX_CONFIGURATION_BYTES = 16 * 1024 * 1024


def read_bounded_text(path: Path, limit: int) -> str:
    """The text of ``path`` read in bounded memory; ValueError when it holds more than ``limit`` bytes."""
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit >> 20} MiB")
    return data.decode()


def _check_json(text: str, what: str) -> None:
    if text.lstrip()[:1] not in ("{", "["):
        return
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingError(f"{what} but does not parse: {exc}") from None
    except RecursionError:
        raise SettingError(f"{what} but nests too deeply to parse") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    return str(exc)


def module_source(value: str) -> str:
    """``--wasm``: an empty value is a mistake (``--wasm "$MODULE"`` with MODULE unset), never "no module"."""
    if not value.strip():
        raise SettingError(
            "empty; give a .wasm or .wat file, an OCI layout directory or .tar archive, or an oci:// reference"
        )
    return value


LOOPBACK_HOSTS = ("localhost", "::1")


class ClusterSetting(NamedTuple):
    """One ``--envoy-cluster``: a name, an address on loopback (None: the suite's upstream), and whether
    the server there speaks gRPC (``grpc://``: Envoy then talks HTTP/2 to it, as gRPC needs)."""

    name: str
    host: str | None
    port: int | None
    grpc: bool = False


GRPC_SCHEME = "grpc://"


def parse_clusters(value: str) -> tuple[ClusterSetting, ...]:
    """``auth,ratelimit=127.0.0.1:9000,authz=grpc://127.0.0.1:9001`` -> ClusterSetting per item."""
    clusters: list[ClusterSetting] = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, address = item.partition("=")
        if not name or not all(c.isalnum() or c in "-_." for c in name):
            raise SettingError(f"{item!r}: a cluster name is letters, digits, '-', '_' and '.'")
        if not address:
            clusters.append(ClusterSetting(name, None, None))
            continue
        grpc = address.startswith(GRPC_SCHEME)
        host, _, port = address.removeprefix(GRPC_SCHEME).rpartition(":")
        host = host.strip("[]")
        if not port.isdigit() or not 0 < int(port) < 65536 or "://" in host:
            raise SettingError(f"{item!r}: the address must be HOST:PORT or grpc://HOST:PORT")
        if not (host.startswith("127.") or host in LOOPBACK_HOSTS):
            raise SettingError(f"{item!r}: only loopback addresses (127.x.x.x, localhost, ::1) are allowed")
        clusters.append(ClusterSetting(name, host, int(port), grpc))
    names = [c.name for c in clusters]
    if len(names) != len(set(names)) or "upstream" in names:
        raise SettingError(f"{value!r}: cluster names must be unique and not 'upstream'")
    return tuple(clusters)


def report_path(value: str) -> Path:
    """``--wasm-report``: find out now, not after an hour of tests, that a report cannot be written there.

    Nothing is created: the nearest existing directory must take a new file (tried with a file that is
    removed at once), and none of the three reports may be an existing directory or special file.
    """
    path = user_path(value)
    if path.suffix != ".json":
        raise SettingError(f"{value!r}: give the JSON report's path, ending in .json")
    for target in (path, path.with_suffix(".html"), path.with_suffix(".junit.xml")):
        if target.is_dir():
            raise SettingError(f"{value!r}: {target} is a directory")
        if target.exists() and not target.is_file():
            raise SettingError(f"{value!r}: {target} exists and is not a regular file")
    directory = _nearest_existing(path.parent)
    if not directory.is_dir():
        raise SettingError(f"{value!r}: {directory} is not a directory")
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".wasmhub-write-check-"):
            pass
    except OSError as exc:
        raise SettingError(f"{value!r}: cannot write in {directory}: {_reason(exc)}") from None
    return path


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def cache_directory(value: str) -> str:
    """``--envoy-cache``: a directory, or a path where one can be created."""
    if not value.strip():
        raise SettingError("empty; give a directory")
    path = user_path(value)
    if path.exists() and not path.is_dir():
        raise SettingError(f"{value!r} is not a directory")
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise SettingError(f"{value!r}: {existing} is not a directory")
    return value
