"""Starting child processes from any thread of a test process: tied to the thread that starts them,
without forking the whole process.

A child dies with the thread that started it, even when this process is killed by SIGKILL: the
kernel's parent-death signal (``PR_SET_PDEATHSIG``), set in the child before it runs the program.
``setpriv --pdeathsig KILL`` (util-linux) sets it and then runs the program, so Python can start the
child with vfork. A ``preexec_fn`` makes it fork the whole process instead: in a 150 MB test process
that took 23 ms per child, and afterwards the parent re-faulted each page it wrote (32,000 minor
faults, 40 ms), on the thread that runs the cases (measured). Without setpriv, a ``preexec_fn`` sets
it. The signal follows the starting *thread*: tie a child only to a thread that outlives it (and
outlives the child's first millisecond: setpriv sets the signal once it runs).

A vforked child shares the parent's memory until it runs the program: given no environment, it reads
the process's ``environ`` while another thread may be changing it (pytest sets PYTEST_CURRENT_TEST
for every test), and exec then failed with EFAULT (seen once). ``environment()`` is the snapshot to
give it instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
from collections.abc import Callable
from functools import cache

_PR_SET_PDEATHSIG = 1


def tied(command: list[str], tie: bool = True) -> tuple[list[str], Callable[[], None] | None]:
    """The command line and ``preexec_fn`` that run ``command`` as a child killed when the thread that
    starts it dies (with ``tie`` false: as it is, untied). A program that cannot be found is left to
    ``Popen`` to report, as it would."""
    if not tie:
        return command, None
    setpriv = _setpriv()
    if setpriv is None or shutil.which(command[0]) is None:
        return command, _die_with_parent
    return [setpriv, "--pdeathsig", "KILL", "--", *command], None


def environment() -> dict[str, str]:
    """A copy of this process's environment, for ``Popen(env=...)``."""
    while True:
        try:
            return dict(os.environ)
        except (RuntimeError, KeyError):  # another thread changed it while it was copied
            continue


@cache
def _setpriv() -> str | None:
    return shutil.which("setpriv")


def _die_with_parent() -> None:
    """Runs in the child before exec (no setpriv); not Linux: nothing to do, the teardowns stop it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
