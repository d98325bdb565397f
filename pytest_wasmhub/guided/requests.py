"""One request of the guided search: valid HTTP a client can send through Envoy, shown as a ``curl``
command line an author can paste into a shell (odd bytes quoted the way bash reads them)."""

from __future__ import annotations

from dataclasses import dataclass

from ..host.messages import to_bytes

# a run of one byte longer than this is written as a printf in the curl command, not spelled out
_RUN_SHOWN_AS_PRINTF = 64
_SHELL_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,")


@dataclass(frozen=True)
class GuidedRequest:
    method: str
    path: str
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""

    def header_names(self) -> list[str]:
        return list(dict.fromkeys(name.decode("latin-1") for name, _ in self.headers))

    def describe(self) -> str:
        """One line: method, path, each header (values cut short) and the body's size."""
        shown = [f"{n.decode('latin-1')}: {_short(v)}" for n, v in self.headers]
        parts = [f"{self.method} {self.path if len(self.path) <= 80 else self.path[:60] + '...'}"]
        if shown:
            parts.append("headers " + "; ".join(shown))
        if self.body:
            parts.append(f"body {len(self.body)} bytes {_short(self.body)}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": [
                [n.decode("latin-1"), v.decode("utf-8", "backslashreplace")] for n, v in self.headers
            ],
            "body": self.body.decode("utf-8", "backslashreplace"),
        }

    def curl(self, url: str = "http://127.0.0.1:10000") -> str:
        """The request as a curl command line (bash: ``$'...'`` for bytes that are not printable)."""
        words = ["curl", "-sS", "-o", "/dev/null", "-w", "'%{http_code}\\n'"]
        words += ["--head"] if self.method == "HEAD" else ["-X", self.method]
        for name, value in self.headers:
            # curl sends `-H 'name;'` as an empty header (`-H 'name:'` would remove it)
            words += ["-H", shell_quote(name + b";") if not value else shell_quote(name + b": " + value)]
        if self.body:
            words += ["--data-binary", shell_quote(self.body)]
        words += ["--path-as-is", shell_quote(to_bytes(url.rstrip("/") + self.path))]
        return " ".join(words)


def shell_quote(value: bytes) -> str:
    """``value`` as one bash word: plain when safe, '...' for printable text, $'...' with \\xNN escapes
    for any other byte; a long run of one byte becomes "$(printf ...)" so the line stays readable."""
    if not value:
        return "''"
    if all(b in _SHELL_PLAIN for b in value):
        return value.decode("ascii")
    pieces: list[str] = []
    start = plain = 0
    while start < len(value):
        end = start
        while end < len(value) and value[end] == value[start]:
            end += 1
        if (
            end - start > _RUN_SHOWN_AS_PRINTF
            and 0x21 <= value[start] <= 0x7E
            and value[start] not in b"'\\%"
        ):
            if plain < start:
                pieces.append(_quote_bytes(value[plain:start]))
            pieces.append(f"\"$(printf '%.0s{chr(value[start])}' $(seq {end - start}))\"")
            plain = end
        start = end
    if plain < len(value):
        pieces.append(_quote_bytes(value[plain:]))
    return "".join(pieces)


def _quote_bytes(chunk: bytes) -> str:
    if all(0x20 <= b <= 0x7E and b != 0x27 for b in chunk):
        return "'" + chunk.decode("ascii") + "'"
    out = []
    for b in chunk:
        if b == 0x27:
            out.append("\\'")
        elif b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "$'" + "".join(out) + "'"


def _short(value: bytes, width: int = 40) -> str:
    text = repr(value)[2:-1]
    return text if len(text) <= width else f"{text[: width - 12]}...({len(value)} bytes)"
