"""The host functions: one module per topic, each registering its functions in ``base``.

Importing this package loads every ``env`` topic; ``..wasi`` registers the WASI functions.
"""

from __future__ import annotations

from . import buffers, callouts, contexts, grpc, logging, maps, metrics, properties, shared, stream, time
from .base import ENV_FUNCTIONS, WASI_FUNCTIONS, Call, HostFunction

__all__ = ["ENV_FUNCTIONS", "WASI_FUNCTIONS", "Call", "HostFunction"]

_TOPICS = (buffers, callouts, contexts, grpc, logging, maps, metrics, properties, shared, stream, time)
