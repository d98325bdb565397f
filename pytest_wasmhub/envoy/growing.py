"""Reading a file another process keeps appending to (Envoy's log, its access records)."""

from __future__ import annotations

import codecs
import errno
import os
import stat
import threading
from pathlib import Path


class GrowingFile:
    """A file another process appends to, read from where the last read ended (the suite reads Envoy's
    logs around every request: reading them whole each time grew with the run). With
    ``follow_links=False`` a symbolic link in its place reads as nothing (a directory a container
    writes to: the suite follows no link planted there)."""

    def __init__(self, path: Path, *, follow_links: bool = True) -> None:
        self.path = path
        # not following links, a FIFO planted there must not block the read either
        self._flags = os.O_RDONLY | (0 if follow_links else os.O_NOFOLLOW | os.O_NONBLOCK)
        self._size = 0
        # decodes only what was appended (a character split across two reads waits for its rest)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._text = ""
        self._lock = threading.Lock()

    def read(self) -> str:
        """Everything in the file so far."""
        with self._lock:
            try:
                with open(os.open(self.path, self._flags), "rb") as file:
                    if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                        return self._text
                    file.seek(self._size)
                    more = file.read()
            except FileNotFoundError:
                return self._text
            except OSError as exc:
                if exc.errno == errno.ELOOP:  # a link where the file should be
                    return self._text
                raise
            if more:
                self._size += len(more)
                self._text += self._decoder.decode(more)
            return self._text
