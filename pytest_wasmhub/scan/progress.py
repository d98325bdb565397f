"""Progress of a scan: a bar redrawn in place on a terminal, one plain line per run otherwise (CI logs)."""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

BAR_WIDTH = 30


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = total
        self.finished = 0
        self.skipped = 0
        self.counts: dict[str, int] = {}
        self.started = time.monotonic()

    def line(self, text: str) -> None:
        """A message that stays (above the bar on a terminal)."""
        if self.tty:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        self._redraw()

    def skip(self, label: str) -> None:
        self.skipped += 1
        self.finished += 1
        if not self.tty:
            self.stream.write(f"[{self.finished}/{self.total}] {label}: already done, skipped\n")
        self._redraw()

    def done(self, label: str, status: str, duration: float, message: str) -> None:
        self.finished += 1
        self.counts[status] = self.counts.get(status, 0) + 1
        detail = message if message and message != status else ""
        text = f"[{self.finished}/{self.total}] {label}: {status}" + (f" ({detail})" if detail else "")
        text += f" in {duration:.1f} s"
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + "\n")
        else:
            self.stream.write(text + "\n")
        self._redraw()

    def running(self, labels: list[str]) -> None:
        self._redraw(labels)

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K")
        self.stream.flush()

    def _redraw(self, running: list[str] | None = None) -> None:
        if not self.tty:
            self.stream.flush()
            return
        filled = BAR_WIDTH * self.finished // max(self.total, 1)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        elapsed = time.monotonic() - self.started
        ran = self.finished - self.skipped
        remaining = self.total - self.finished
        eta = f", ~{elapsed / ran * remaining:.0f} s left" if ran and remaining else ""
        text = f"[{bar}] {self.finished}/{self.total}{eta}"
        if running:
            text += " | " + ", ".join(running)
        width = shutil.get_terminal_size((100, 20)).columns
        self.stream.write("\r\x1b[2K" + text[: width - 1])
        self.stream.flush()
