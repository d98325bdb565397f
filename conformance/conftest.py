"""Set-up of the shared conformance suite as a whole."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _warm_envoys(wasmhub_warm_envoys: None) -> None:
    """The Envoys the selected cases share start in the background while the first cases run."""
