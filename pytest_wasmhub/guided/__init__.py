"""Guided hostile traffic: requests built from the module's own vocabulary, searched with Hypothesis
in the in-process host (``search``), each finding shrunk to a minimal request and replayed through a real Envoy."""

from .model import HANG, TRAP, HostFinding, SearchResult
from .requests import GuidedRequest, shell_quote
from .vocabulary import Vocabulary, learn

# the search itself (pytest_wasmhub.guided.search) imports Hypothesis: only a run that searches loads it

__all__ = [
    "HANG",
    "TRAP",
    "GuidedRequest",
    "HostFinding",
    "SearchResult",
    "Vocabulary",
    "learn",
    "shell_quote",
]
