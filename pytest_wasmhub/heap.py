"""Keep Python's cycle collector off the objects a session holds from start to end.

The plugin, pytest and their libraries leave ~80,000 tracked objects behind after collection (classes,
functions, the collected items). Every full collection walked them again (20-70 ms each), and the
interpreter walked them once more while shutting down: ~0.3 s of a 1.7 s conformance run on the
example module (``benchmarks/conformance_run.py``).

``gc.freeze`` moves them to a generation the collector skips: importing this module sets aside what
is alive then (pytest, and the plugin imports it before its heavy dependencies: a full collection
during those imports cost ~22 ms), and ``settle`` what is alive after collection. They stay alive
anyway (they are reachable until the session ends), so nothing is lost: objects made during the tests
are collected as usual. Handing them back (``gc.unfreeze``) makes the collector walk them all once more
(~70 ms), so the outermost session leaves them set aside: a process that ends with it (the usual
``pytest`` command) never pays, and one that runs another session later (an IDE calling
``pytest.main``) has them collected when that session starts. A session inside a session (pytester's
in-process runs) hands back what it set aside when it ends, so its objects do not pile up in the outer
one. At interpreter exit everything is set aside once more: the memory goes back to the system with the
process, and what is registered to run at exit (``atexit``, ``weakref.finalize``) still runs.
"""

from __future__ import annotations

import atexit
import gc

_sessions: set[int] = set()  # ids of the sessions running in this process that set objects aside
_left_aside = False  # an outermost session ended with its objects still set aside


def settle(session: object) -> None:
    """Set the objects alive now aside from the collections to come (until ``release(session)``)."""
    global _left_aside
    if _left_aside and not _sessions:
        # a process that runs sessions one after another: the earlier one's garbage is freed now
        gc.unfreeze()
        gc.collect()
        _left_aside = False
    _sessions.add(id(session))
    gc.freeze()


def release(session: object) -> None:
    """At the end of a session inside another, let the collector see the set-aside objects again."""
    global _left_aside
    if id(session) not in _sessions:
        return  # it never got as far as setting any aside
    _sessions.discard(id(session))
    if _sessions:
        gc.unfreeze()
    else:
        _left_aside = True


gc.freeze()
# registered once, at import: it runs at exit before the handlers registered earlier (atexit is LIFO)
atexit.register(gc.freeze)
