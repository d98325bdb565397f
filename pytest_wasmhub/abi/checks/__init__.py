"""The logic of each static case, registered by case id (see ``base``); importing this package fills
``CHECKS`` with every check."""

from __future__ import annotations

from . import exports, imports, memory, module
from .base import CHECKS, Check, Outcome
from .exports import roles
from .memory import reachable_memory

__all__ = [
    "CHECKS",
    "Check",
    "Outcome",
    "exports",
    "imports",
    "memory",
    "module",
    "reachable_memory",
    "roles",
]
