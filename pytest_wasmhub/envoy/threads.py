"""Which threads may tie the Envoys they start to themselves (``PR_SET_PDEATHSIG`` follows the
starting thread, so an Envoy started from a short-lived thread must not be tied to it)."""

from __future__ import annotations

import threading

_kind = threading.local()


def lives_until_stopped() -> None:
    """Mark the calling thread as one that outlives the Envoys it starts (the pool's start-ahead
    threads end only after their Envoys are stopped): those are tied to it like the main thread's."""
    _kind.outlives_its_envoys = True


def outlives_its_envoys() -> bool:
    return getattr(_kind, "outlives_its_envoys", False)
