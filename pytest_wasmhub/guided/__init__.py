"""Guided hostile traffic: requests built from the module's own vocabulary, searched with Hypothesis
in the in-process host, each finding shrunk to a minimal request and replayed through a real Envoy."""

from .requests import GuidedRequest, shell_quote
from .search import HANG, TRAP, HostFinding, SearchResult, search
from .vocabulary import Vocabulary, learn

__all__ = [
    "HANG",
    "TRAP",
    "GuidedRequest",
    "HostFinding",
    "SearchResult",
    "Vocabulary",
    "learn",
    "search",
    "shell_quote",
]
