"""A path the user typed: ``~`` expanded, and a ``~name`` of no such user kept as typed (``Path.expanduser``
raises for it), so it ends as "no such file" like any other missing path."""

from __future__ import annotations

import os
from pathlib import Path


def user_path(text: str | os.PathLike[str]) -> Path:
    path = Path(text)
    try:
        return path.expanduser()
    except RuntimeError:  # "Could not determine home directory"
        return path
