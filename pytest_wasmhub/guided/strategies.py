"""Hypothesis strategies for valid HTTP requests built from a module's vocabulary: its header names
present, absent, empty, repeated, very long, not UTF-8, numbers at the edges, malformed JSON or base64;
paths and bodies from its strings. Every request is one Envoy accepts and forwards to the filter as it
is (no control bytes, no leading or trailing blanks in values, no names Envoy owns), so a replay
through Envoy shows the module the same request the host showed it.

Simpler choices come first in every ``one_of``/``sampled_from``: Hypothesis shrinks towards them, so a
minimal failing request keeps only the header that matters, with the plainest value that still fails.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import strategies as st

from .requests import GuidedRequest
from .vocabulary import Vocabulary

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
EDGE_NUMBERS = tuple(
    s.encode()
    for s in (
        "0", "1", "-1", "00", "+1", "2147483647", "2147483648", "-2147483648", "-2147483649",
        "4294967295", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "1e309", "-0", "0.0", "NaN", "Infinity", "0x7fffffff", "1.5", "65536",
    )
)  # fmt: skip
MALFORMED = (
    b"{",
    b'{"',
    b'{"a":',
    b"[1,",
    b'"',
    b"null",
    b"{}",
    b"[]",
    b'{"a":1}}',
    b"==",
    b"e30",  # base64 of "{}"
    b"eyJ",  # the start of a JWT header, cut short
    b"eyJhbGciOiJub25lIn0.e30.",  # an unsigned JWT
    b"a.b.c",
    b"Bearer",
    b"Bearer ",
    b"Basic Og==",
    b"%",
    b"%zz",
    b"%00",
)
LONG_SIZES = (256, 1024, 4096)
MAX_HEADERS = 6  # with the longest values, still well inside Envoy's 60 KiB of request headers
FALLBACK_NAME = b"x-wasmhub-guided"

# header value bytes Envoy's HTTP/1 codec accepts: visible ASCII and obs-text, inner blanks (a control
# byte is moved into the visible range; a blank at either end would be trimmed by Envoy)
_VISIBLE = bytes(b if 0x21 <= b <= 0x7E or b >= 0x80 else 0x21 + b % 94 for b in range(256))
_INNER = bytes(b if b == 0x20 else _VISIBLE[b] for b in range(256))
# Hypothesis spends most of its time per choice: each part of a request is one choice from a pool
# built once from the vocabulary (simplest first), plus raw bytes where any value will do
MAX_POOL = 4096


def _visible(raw: bytes) -> bytes:
    if len(raw) < 2:
        return raw.translate(_VISIBLE)
    return raw[:1].translate(_VISIBLE) + raw[1:-1].translate(_INNER) + raw[-1:].translate(_VISIBLE)


def _pool(items: list[bytes] | list[str]) -> list:
    return list(dict.fromkeys(items))[:MAX_POOL]


def value_pool(vocabulary: Vocabulary) -> list[bytes]:
    """Header values, plainest first: empty, numbers at the edges, the module's strings, malformed
    JSON and base64, word=number pairs, very long values."""
    words = [w for w in vocabulary.words if w.strip() == w]
    pairs = [w + b"=" + n for w in words[:16] for n in EDGE_NUMBERS[:8]]
    long_values = [fill * size for size in LONG_SIZES for fill in (b"a", b"9", b"{", b"\xff")]
    return _pool([b"", *EDGE_NUMBERS, *words, *MALFORMED, *pairs, *long_values])


def header_values(vocabulary: Vocabulary) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from(value_pool(vocabulary)), st.binary(min_size=1, max_size=24).map(_visible)
    )


def own_paths(vocabulary: Vocabulary) -> list[str]:
    """The module's own strings that look like paths, as they are and with something after them."""
    own = [quote(w.decode("ascii", "replace"), safe="/") for w in vocabulary.words if w.startswith(b"/")]
    return _pool([*own, *(p.rstrip("/") + suffix for p in own for suffix in ("/", "/1", "?x=1"))])


def path_pool(vocabulary: Vocabulary) -> list[str]:
    """Paths, plainest first: the suite's, then one or two segments of the module's strings and edge
    numbers, odd escapes, a query."""
    words = [quote(w.decode("ascii", "replace"), safe="") for w in vocabulary.words if b"/" not in w]
    numbers = [quote(n.decode(), safe="") for n in EDGE_NUMBERS]
    # no "..": clients remove dot segments before sending
    segments = ["conformance", *words[:48], *numbers, "%00", "%ff", "%2e%2e", "", "a" * 1024]
    singles = ["/" + s for s in segments]
    nested = ["/" + a + "/" + b for a in segments[:24] for b in segments[:24]]
    queries = [f"/conformance?{k}={v}" for k in segments[:24] for v in segments[:24]]
    return _pool(["/conformance", *singles, *queries, *nested])


def paths(vocabulary: Vocabulary) -> st.SearchStrategy[str]:
    pool = st.sampled_from(path_pool(vocabulary))
    own = own_paths(vocabulary)
    # the module's own paths are few among many: they get half of the draws
    return st.one_of(pool, st.sampled_from(own)) if own else pool


def body_pool(vocabulary: Vocabulary) -> list[bytes]:
    words = list(vocabulary.words)
    members = [
        b'{"' + w.replace(b'"', b"") + b'":' + v + b"}"
        for w in words[:24]
        for v in (*EDGE_NUMBERS[:6], *MALFORMED[:6], b'"x"')
    ]
    return _pool([b"", *MALFORMED, *members, *words, *(b"a" * n for n in LONG_SIZES)])


def bodies(vocabulary: Vocabulary) -> st.SearchStrategy[bytes]:
    return st.one_of(st.sampled_from(body_pool(vocabulary)), st.binary(min_size=1, max_size=64))


def requests(vocabulary: Vocabulary) -> st.SearchStrategy[GuidedRequest]:
    names = list(vocabulary.header_names) or [FALLBACK_NAME]
    header = st.tuples(st.sampled_from(names), header_values(vocabulary))
    return st.builds(
        _request,
        st.sampled_from(METHODS),
        paths(vocabulary),
        st.lists(header, max_size=MAX_HEADERS).map(tuple),
        bodies(vocabulary),
    )


def _request(method: str, path: str, headers: tuple[tuple[bytes, bytes], ...], body: bytes) -> GuidedRequest:
    # a HEAD carries no body through Envoy (and curl --head sends none)
    return GuidedRequest(method, path, headers, b"" if method == "HEAD" else body)
