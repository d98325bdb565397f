"""Where the in-process host answers otherwise than Envoy's answers table, on purpose or for now: per
(host function, argument class), how. The host's tests hold it to the table everywhere else, and the
coverage table (docs/host-coverage.md) shows these."""

from __future__ import annotations

HOST_DIFFERENCES: dict[tuple[str, str], str] = {}
